#include "keel/serve/feature_endpoints.h"

#include "absl/strings/str_cat.h"
#include "keel/base/json_string.h"
#include "keel/base/time.h"
#include "keel/features/online_features.h"
#include "keel/features/push.h"
#include "keel/serve/router.h"

namespace keel::serve {

FeatureEndpoints::FeatureEndpoints(features::FeatureDefinitions definitions,
                                   std::unique_ptr<features::OnlineStore> store,
                                   int64_t definitions_version)
    : definitions_(std::move(definitions)),
      store_(std::move(store)),
      definitions_version_(definitions_version) {}

void FeatureEndpoints::GetOnlineFeatures(std::string_view body, HttpResponse* response) const {
  StatusOr<features::OnlineFeaturesRequest> request = features::ParseOnlineFeaturesRequest(body);
  if (!request.ok()) return ErrorResponse(request.status(), response);
  StatusOr<std::string> out =
      features::GetOnlineFeaturesJson(definitions_, *store_, *request, NowMicros());
  if (!out.ok()) return ErrorResponse(out.status(), response);
  response->status = 200;
  response->body = *std::move(out);
  response->content_type = "application/json";
}

void FeatureEndpoints::Push(std::string_view body, HttpResponse* response) const {
  StatusOr<features::PushRequest> request = features::ParsePushRequest(definitions_, body);
  if (!request.ok()) return ErrorResponse(request.status(), response);
  const int64_t rows = request->rows.num_rows();
  if (request->to != features::PushTo::kOnline) {
    if (offline_ == nullptr) {
      return ErrorResponse(absl::FailedPreconditionError(
                               "push: this server keeps no offline store; send \"to\": "
                               "\"online\", or push through `keel serve --online-features`"),
                           response);
    }
    features::OfflineEvents events;
    events.view = definitions_.FindView(request->feature_view);
    events.batches.push_back(request->rows);
    events.rows = rows;
    events.format = "push";
    events.first_id = events.last_id = absl::StrCat(NowMicros());
    events.raw_jsonl = absl::StrCat(std::string(body), "\n");
    Status appended;
    {
      absl::MutexLock lock(&offline_mu_);
      appended = offline_->Append(events);
    }
    if (!appended.ok()) return ErrorResponse(appended, response);
  }
  if (request->to != features::PushTo::kOffline) {
    StatusOr<int64_t> written = features::PushToOnlineStore(definitions_, *request, *store_);
    if (!written.ok()) return ErrorResponse(written.status(), response);
  }
  response->status = 200;
  response->body = "{\"feature_view\":";
  AppendJsonString(request->feature_view, &response->body);
  absl::StrAppend(&response->body, ",\"rows\":", rows, ",\"to\":\"",
                  std::string(features::PushToName(request->to)), "\"}");
  response->content_type = "application/json";
}

}  // namespace keel::serve
