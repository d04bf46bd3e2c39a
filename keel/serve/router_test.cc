#include "keel/serve/router.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/subprocess.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/serve/openapi.h"
#include "keel/serve/test_fixture.h"
#include "keel/table/csv_reader.h"
#include "nlohmann/json.hpp"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"

namespace keel::serve {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() : manager_(&fixture_.lake()), metrics_("test") {
    fixture_.TrainAndStore("fraud");
    fixture_.TrainNumericAndStore("reg");
    EXPECT_TRUE(manager_.Add("fraud").ok());
    EXPECT_TRUE(manager_.Add("reg").ok());
    router_ = std::make_unique<Router>(&manager_, &metrics_, RouterOptions{.keel_version = "test"});
  }

  HttpResponse Call(std::string_view method, std::string_view target, std::string_view body = "",
                    const Router* router = nullptr) {
    HttpRequest request{.method = method, .target = target, .body = body};
    HttpResponse response;
    (router != nullptr ? router : router_.get())->Handle(request, &response);
    return response;
  }
  json Json(const HttpResponse& response) {
    json parsed = json::parse(response.body, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << response.body;
    return parsed;
  }
  // The reference: Bundle::Predict on the same rows.
  Table Reference(const Table& rows, const std::string& ref = "fraud") {
    auto out = fixture_.LoadBundle(ref).Predict(rows);
    EXPECT_TRUE(out.ok()) << out.status();
    return *out;
  }

  // A V2 body with one tensor per input, from the fixture's CSV text.
  static std::string V2Body(const Table& rows) {
    json inputs = json::array();
    for (int c = 0; c < rows.num_columns(); ++c) {
      const Field& f = rows.schema().field(c);
      if (f.name == "is_fraud") continue;
      json data = json::array();
      for (int64_t r = 0; r < rows.num_rows(); ++r) {
        const Column& col = rows.column(c);
        if (col.IsNull(r)) {
          data.push_back(nullptr);
        } else if (f.type == DataType::kFloat64) {
          data.push_back(col.Float64Values()[r]);
        } else if (f.type == DataType::kInt64) {
          data.push_back(col.Int64Values()[r]);
        } else {
          data.push_back(col.ValueToString(r));
        }
      }
      const std::string datatype = f.type == DataType::kFloat64 ? "FP64"
                                   : f.type == DataType::kInt64 ? "INT64"
                                                                : "BYTES";
      inputs.push_back({{"name", f.name}, {"shape", {rows.num_rows()}}, {"datatype", datatype}, {"data", data}});
    }
    return json{{"id", "req-1"}, {"inputs", inputs}}.dump();
  }

  testing::ServeFixture fixture_;
  ModelManager manager_;
  ServerMetrics metrics_;
  std::unique_ptr<Router> router_;
};

TEST_F(RouterTest, V2InferGivesTheBundlesNumbers) {
  Table rows = testing::Transactions(40, 5);
  HttpResponse r = Call("POST", "/v2/models/fraud/infer", V2Body(rows));
  ASSERT_EQ(r.status, 200) << r.body;
  json out = Json(r);
  EXPECT_EQ(out["model_name"], "fraud");
  EXPECT_EQ(out["model_version"], "1");
  EXPECT_EQ(out["id"], "req-1");
  ASSERT_EQ(out["outputs"].size(), 2u);
  EXPECT_EQ(out["outputs"][0]["name"], "prediction");
  EXPECT_EQ(out["outputs"][0]["datatype"], "INT64");
  EXPECT_EQ(out["outputs"][1]["name"], "probability");
  EXPECT_EQ(out["outputs"][1]["shape"], json::array({40}));
  Table reference = Reference(rows);
  for (int64_t i = 0; i < 40; ++i) {
    // Shortest round-trip text: the same double, bit for bit.
    EXPECT_EQ(out["outputs"][1]["data"][i].get<double>(), reference.column(1).Float64Values()[i]);
    EXPECT_EQ(out["outputs"][0]["data"][i].get<int64_t>(), reference.column(0).Int64Values()[i]);
  }
  // Only the requested output.
  json body = json::parse(V2Body(rows));
  body["outputs"] = json::array({{{"name", "probability"}}});
  json only = Json(Call("POST", "/v2/models/fraud/versions/1/infer", body.dump()));
  ASSERT_EQ(only["outputs"].size(), 1u);
  EXPECT_EQ(only["outputs"][0]["name"], "probability");
}

TEST_F(RouterTest, V2MatrixFormFeedsNumericInputsByPosition) {
  json body = {{"inputs",
                {{{"name", "input-0"}, {"shape", {2, 3}}, {"datatype", "FP32"},
                  {"data", {{0.5, -1.0, 2.0}, {1.5, 0.25, -0.75}}}}}}};
  HttpResponse r = Call("POST", "/v2/models/reg/infer", body.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  CsvReadOptions options;
  options.schema_override = {{"x0", DataType::kFloat64}, {"x1", DataType::kFloat64}, {"x2", DataType::kFloat64}};
  Table rows = *ReadCsvFromString("x0,x1,x2\n0.5,-1,2\n1.5,0.25,-0.75\n", options);
  Table reference = Reference(rows, "reg");
  json out = Json(r);
  EXPECT_EQ(out["outputs"][0]["data"][0].get<double>(), reference.column(0).Float64Values()[0]);
  EXPECT_EQ(out["outputs"][0]["data"][1].get<double>(), reference.column(0).Float64Values()[1]);
}

TEST_F(RouterTest, TfServingRowsColumnsAndPositionalAgree) {
  Table rows = testing::Transactions(3, 8);
  Table reference = Reference(rows);
  json instances = json::array();
  json columns = json::object();
  for (int64_t r = 0; r < 3; ++r) {
    json row = json::object();
    for (int c = 0; c < rows.num_columns(); ++c) {
      const Field& f = rows.schema().field(c);
      if (f.name == "is_fraud") continue;
      json v = rows.column(c).IsNull(r) ? json(nullptr)
               : f.type == DataType::kFloat64 ? json(rows.column(c).Float64Values()[r])
               : f.type == DataType::kInt64   ? json(rows.column(c).Int64Values()[r])
                                              : json(rows.column(c).ValueToString(r));
      row[f.name] = v;
      columns[f.name].push_back(v);
    }
    instances.push_back(row);
  }
  json by_rows = Json(Call("POST", "/v1/models/fraud:predict", json{{"instances", instances}}.dump()));
  ASSERT_TRUE(by_rows.contains("predictions")) << by_rows;
  json by_columns = Json(Call("POST", "/v1/models/fraud/versions/1:predict", json{{"inputs", columns}}.dump()));
  ASSERT_TRUE(by_columns.contains("outputs")) << by_columns;
  for (int64_t r = 0; r < 3; ++r) {
    const double p = reference.column(1).Float64Values()[r];
    EXPECT_EQ(by_rows["predictions"][r]["probability"].get<double>(), p);
    EXPECT_EQ(by_columns["outputs"]["probability"][r].get<double>(), p);
  }
  // A one-output model answers bare values.
  json reg = Json(Call("POST", "/v1/models/reg:predict", R"({"instances": [[0.5, -1, 2]]})"));
  ASSERT_TRUE(reg["predictions"][0].is_number()) << reg;
}

struct BadRequest {
  std::string name;
  std::string target;
  std::string body;
  int status;
  std::string field;    // expected "field" ("" when none)
  std::string message;  // a substring of "error"
};

class RouterBadInputTest : public RouterTest, public ::testing::WithParamInterface<BadRequest> {};

TEST_P(RouterBadInputTest, AnswersJsonErrorNamingTheField) {
  const BadRequest& c = GetParam();
  HttpResponse r = Call("POST", c.target, c.body);
  EXPECT_EQ(r.status, c.status) << r.body;
  json out = Json(r);
  ASSERT_TRUE(out.contains("error")) << r.body;
  EXPECT_THAT(out["error"].get<std::string>(), HasSubstr(c.message));
  if (!c.field.empty()) {
    EXPECT_EQ(out.value("field", ""), c.field) << r.body;
  }
}

const char kGood[] =
    R"("inputs":[{"name":"amount","shape":[1],"datatype":"FP64","data":[12.5]},)"
    R"({"name":"merchant","shape":[1],"datatype":"BYTES","data":["travel"]},)"
    R"({"name":"event_time","shape":[1],"datatype":"BYTES","data":["2024-03-01T10:00:00Z"]},)"
    R"({"name":"n_items","shape":[1],"datatype":"INT64","data":[3]})";

INSTANTIATE_TEST_SUITE_P(
    Cases, RouterBadInputTest,
    ::testing::Values(
        BadRequest{"MalformedJson", "/v2/models/fraud/infer", "{\"inputs\": [", 400, "body", "malformed JSON"},
        BadRequest{"NotAnObject", "/v2/models/fraud/infer", "[1,2]", 400, "body", "expected a JSON object"},
        BadRequest{"NoInputs", "/v2/models/fraud/infer", "{}", 400, "inputs", "missing"},
        BadRequest{"WrongDatatype", "/v2/models/fraud/infer",
                   absl::StrCat("{", absl::StrReplaceAll(kGood, {{"\"BYTES\",\"data\":[\"travel\"]",
                                                                   "\"FP64\",\"data\":[1.5]"}}), "]}"),
                   400, "inputs[1] (merchant).datatype", "send BYTES, not FP64"},
        BadRequest{"WrongValueType", "/v2/models/fraud/infer",
                   absl::StrCat("{", absl::StrReplaceAll(kGood, {{"[12.5]", "[\"lots\"]"}}), "]}"), 400,
                   "inputs[0] (amount).data[0]", "expected a number, got a string"},
        BadRequest{"ShapeDisagreesWithData", "/v2/models/fraud/infer",
                   absl::StrCat("{", absl::StrReplaceAll(kGood, {{"[12.5]", "[12.5, 3]"}}), "]}"), 400,
                   "inputs[0] (amount).data", "needs 1 values, got 2"},
        BadRequest{"RowsDisagree", "/v2/models/fraud/infer",
                   absl::StrCat("{", absl::StrReplaceAll(kGood, {{"\"shape\":[1],\"datatype\":\"INT64\",\"data\":[3]",
                                                                   "\"shape\":[2],\"datatype\":\"INT64\",\"data\":[3,4]"}}),
                                "]}"),
                   400, "inputs[3] (n_items).shape", "expected [1] or [1, 1]"},
        BadRequest{"MissingInput", "/v2/models/fraud/infer",
                   absl::StrCat("{", absl::StrReplaceAll(kGood, {{",{\"name\":\"n_items\",\"shape\":[1],\"datatype\":\"INT64\",\"data\":[3]}", ""}}), "]}"),
                   400, "inputs", "input 'n_items' is missing"},
        BadRequest{"ExtraInput", "/v2/models/fraud/infer",
                   absl::StrCat("{", kGood, R"(,{"name":"colour","shape":[1],"datatype":"BYTES","data":["red"]}]})"),
                   400, "inputs[4] (colour).name", "unknown input 'colour'"},
        BadRequest{"EmptyBatch", "/v2/models/fraud/infer",
                   R"({"inputs":[{"name":"amount","shape":[0],"datatype":"FP64","data":[]}]})", 400,
                   "inputs[0] (amount).shape", "empty batch"},
        BadRequest{"UnknownDatatype", "/v2/models/fraud/infer",
                   absl::StrCat("{", absl::StrReplaceAll(kGood, {{"\"INT64\"", "\"LONG\""}}), "]}"), 400,
                   "inputs[3] (n_items).datatype", "unknown datatype 'LONG'"},
        BadRequest{"BadTimestamp", "/v2/models/fraud/infer",
                   absl::StrCat("{", absl::StrReplaceAll(kGood, {{"2024-03-01T10:00:00Z", "yesterday"}}), "]}"), 400,
                   "inputs[2] (event_time).data[0]", "yesterday"},
        BadRequest{"UnknownOutput", "/v2/models/fraud/infer",
                   absl::StrCat("{", kGood, R"(], "outputs": [{"name": "score"}]})"), 400, "outputs[0].name",
                   "unknown output 'score'"},
        BadRequest{"UnknownModel", "/v2/models/fruad/infer", "{}", 404, "", "Did you mean 'fraud'"},
        BadRequest{"UnknownVersion", "/v2/models/fraud/versions/7/infer", "{}", 404, "", "version 7 of model 'fraud' is not loaded"},
        BadRequest{"UnknownAlias", "/v1/models/fraud/labels/canary:predict", "{}", 404, "", "no alias 'canary'"},
        BadRequest{"TfBothForms", "/v1/models/fraud:predict", R"({"instances": [], "inputs": {}})", 400, "body", "exactly one of"},
        BadRequest{"TfEmpty", "/v1/models/fraud:predict", R"({"instances": []})", 400, "instances", "empty batch"},
        BadRequest{"TfMissingField", "/v1/models/fraud:predict",
                   R"({"instances": [{"amount": 1, "merchant": "x", "event_time": "2024-01-01T00:00:00Z"}]})", 400,
                   "instances[0]", "input 'n_items' is missing"},
        BadRequest{"TfWrongType", "/v1/models/fraud:predict",
                   R"({"instances": [{"amount": 1, "merchant": "x", "event_time": "2024-01-01T00:00:00Z", "n_items": 2.5}]})",
                   400, "instances[0].n_items", "expected an integer"},
        BadRequest{"TfPositionalLength", "/v1/models/fraud:predict", R"({"instances": [[1, "x"]]})", 400,
                   "instances[0]", "needs 4 values"},
        BadRequest{"UnknownRoute", "/v3/whatever", "", 404, "", "/openapi.json"}),
    [](const ::testing::TestParamInfo<BadRequest>& info) { return info.param.name; });

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  HttpResponse r = Call("GET", "/v2/models/fraud/infer");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.allow, "POST");
}

TEST_F(RouterTest, ApiKeysAreCheckedButNotOnHealth) {
  Router secured(&manager_, &metrics_, RouterOptions{.keel_version = "t", .api_keys = {"s3cret", "other"}});
  EXPECT_EQ(Call("GET", "/v2/health/ready", "", &secured).status, 200);
  EXPECT_EQ(Call("GET", "/v2/models/fraud", "", &secured).status, 401);
  HttpRequest with_bearer{.method = "GET", .target = "/v2/models/fraud", .authorization = "Bearer s3cret"};
  HttpResponse r;
  secured.Handle(with_bearer, &r);
  EXPECT_EQ(r.status, 200) << r.body;
  HttpRequest with_header{.method = "GET", .target = "/v2/models/fraud", .api_key = "other"};
  secured.Handle(with_header, &r);
  EXPECT_EQ(r.status, 200);
  HttpRequest wrong{.method = "GET", .target = "/v2/models/fraud", .api_key = "s3cre"};
  secured.Handle(wrong, &r);
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(r.body, ::testing::Not(HasSubstr("s3cre\"")));
}

TEST_F(RouterTest, MetadataStatusAndRepository) {
  json meta = Json(Call("GET", "/v2/models/fraud"));
  EXPECT_EQ(meta["name"], "fraud");
  EXPECT_EQ(meta["inputs"][1]["name"], "merchant");
  EXPECT_EQ(meta["inputs"][1]["datatype"], "BYTES");
  EXPECT_EQ(Call("GET", "/v2/models/fraud/ready").status, 200);
  json status = Json(Call("GET", "/v1/models/fraud"));
  EXPECT_EQ(status["model_version_status"][0]["state"], "AVAILABLE");
  EXPECT_EQ(Call("POST", "/v2/repository/models/reg/unload").status, 200);
  EXPECT_EQ(Call("GET", "/v2/models/reg").status, 404);
  EXPECT_EQ(Call("POST", "/v2/repository/models/reg/load", R"({"parameters": {"version": "1"}})").status, 200);
  json index = Json(Call("POST", "/v2/repository/index"));
  EXPECT_EQ(index.size(), 2u);
}

TEST_F(RouterTest, EveryOpenApiPathAnswers) {
  json doc = json::parse(OpenApiJson());
  ASSERT_TRUE(doc.contains("paths"));
  for (auto& [path, ops] : doc["paths"].items()) {
    std::string target = absl::StrReplaceAll(path, {{"{model}", "fraud"}, {"{version}", "1"}, {"{alias}", "x"}});
    for (auto& [method, op] : ops.items()) {
      std::string upper = method == "get" ? "GET" : "POST";
      HttpResponse r = Call(upper, target, "{}");
      EXPECT_NE(r.endpoint, "unknown") << upper << " " << target;
      EXPECT_NE(r.status, 405) << upper << " " << target;
    }
  }
}

TEST_F(RouterTest, MetricsPassPromtool) {
  Call("POST", "/v2/models/fraud/infer", V2Body(testing::Transactions(3)));
  Call("POST", "/v2/models/fraud/infer", "{");
  HttpResponse r = Call("GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("keel_requests_total{endpoint=\"v2_infer\",model=\"fraud\",version=\"1\",code=\"200\"} 1"));
  EXPECT_THAT(r.body, HasSubstr("keel_requests_total{endpoint=\"v2_infer\",model=\"fraud\",version=\"1\",code=\"400\"} 1"));
  EXPECT_THAT(r.body, HasSubstr("keel_batch_rows_bucket{model=\"fraud\",version=\"1\",le=\"4\"} 1"));
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/promtool"))
      << "promtool (Debian package prometheus, installed by scripts/install-deps.sh) is needed";
  keel::testing::TempDir dir;
  const std::string file = dir.path() + "/metrics.txt";
  std::ofstream(file) << r.body;
  const int rc = std::system(("/usr/bin/promtool check metrics < " + file + " > " + dir.path() + "/out.txt 2>&1").c_str());
  std::ifstream in(dir.path() + "/out.txt");
  std::string output((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(rc, 0) << output;
}

TEST_F(RouterTest, AMovedAliasSwapsInWhileOldHandlesFinish) {
  ASSERT_TRUE(manager_.Add("fraud@production").ok() == false);  // no such alias yet
  ASSERT_TRUE(fixture_.lake().registry().SetAlias("fraud", "production", 1).ok());
  ASSERT_TRUE(manager_.Add("fraud@production").ok());
  auto old_handle = manager_.Get("fraud", "");
  ASSERT_TRUE(old_handle.ok());
  EXPECT_EQ((*old_handle)->version(), 1);
  const int64_t v2 = fixture_.TrainAndStore("fraud", "gbdt", 2);
  ASSERT_TRUE(fixture_.lake().registry().SetAlias("fraud", "production", v2).ok());
  auto changed = manager_.Refresh();
  ASSERT_TRUE(changed.ok() && *changed);
  EXPECT_EQ((*manager_.Get("fraud", ""))->version(), v2);
  EXPECT_EQ((*manager_.Get("fraud", "production"))->version(), v2);
  // The old version still scores for the request that holds it.
  Table rows = testing::Transactions(2);
  auto batch = (*old_handle)->BatchFromTable(rows);
  ASSERT_TRUE(batch.ok());
  EXPECT_TRUE((*old_handle)->Score(*batch).ok());
  auto again = manager_.Refresh();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
}

TEST_F(RouterTest, CanarySendsExactlyItsShare) {
  const int64_t v2 = fixture_.TrainAndStore("fraud", "gbdt", 3);
  ASSERT_TRUE(manager_.Add("fraud@1", RouteOptions{.canary = absl::StrCat(v2, "=10")}).ok());
  int to_canary = 0;
  for (int i = 0; i < 100; ++i) {
    auto m = manager_.Get("fraud", "");
    ASSERT_TRUE(m.ok());
    if ((*m)->version() == v2) ++to_canary;
  }
  EXPECT_EQ(to_canary, 10);
  EXPECT_FALSE(manager_.Add("fraud@1", RouteOptions{.canary = "2=150"}).ok());
}

TEST_F(RouterTest, ShadowIsScoredAndLoggedButNotReturned) {
  const int64_t v2 = fixture_.TrainAndStore("fraud", "logistic", 4);
  ASSERT_TRUE(manager_.Add("fraud@1", RouteOptions{.shadow = absl::StrCat(v2)}).ok());
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));
  Table rows = testing::Transactions(3, 8);
  HttpResponse r = Call("POST", "/v2/models/fraud/infer", V2Body(rows));
  router_->FlushShadow();
  spdlog::set_default_logger(previous);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r)["model_version"], "1");  // the answer is the served version's
  const std::string line = log.str();
  ASSERT_THAT(line, HasSubstr(absl::StrCat("shadow model=fraud version=", v2, " served_version=1")));
  // The logged output is the shadow version's own answer.
  json shadow = json::parse(line.substr(line.find("output=") + 7, line.rfind('}') - line.find("output=") - 6));
  EXPECT_EQ(shadow["model_version"], std::to_string(v2));
  Table expected = Reference(rows, absl::StrCat("fraud@", v2));
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(shadow["outputs"][1]["data"][i].get<double>(), expected.column(1).Float64Values()[i]);
  }
}

}  // namespace
}  // namespace keel::serve
