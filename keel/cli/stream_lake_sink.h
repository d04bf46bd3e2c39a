// The offline half of `keel features stream`: consumed events appended to
// the lake, so that `keel features get-historical` (and training) sees the
// events the online store was given.
//
// Each flush writes one new version of the dataset: the latest version's
// rows followed by the flushed events (columns matched by name; a column
// only one side has is null on the other), through Lake::IngestTable. The
// version's raw object is the flushed messages as JSON lines, its source
// names the stream, the ids and the version it extends. Cost: each flush
// reads and rewrites the whole dataset (O(dataset rows)), and adds a
// version; flush rarely on large datasets.
#ifndef KEEL_CLI_STREAM_LAKE_SINK_H_
#define KEEL_CLI_STREAM_LAKE_SINK_H_

#include <cstdint>
#include <map>
#include <string>

#include "keel/base/status.h"
#include "keel/features/definitions.h"
#include "keel/features/stream.h"
#include "keel/lake/lake.h"

namespace keel::cli {

// Not thread-safe (the consumer calls it from one thread). `lake` and
// `definitions` must outlive it.
class LakeEventSink final : public features::OfflineEventSink {
 public:
  // `dataset`: where every view's events go; "" for each view's source
  // dataset (what get-historical reads). `origin` describes the stream in
  // the versions' source (no password).
  LakeEventSink(Lake& lake, const features::FeatureDefinitions& definitions, std::string dataset,
                std::string origin)
      : lake_(lake),
        definitions_(definitions),
        dataset_(std::move(dataset)),
        origin_(std::move(origin)) {}

  // The dataset that `view`'s events go to. Errors: FailedPrecondition when
  // the view's source pins a version (NAME@VERSION: get-historical would
  // not see a new version), saying to give --offline-dataset.
  StatusOr<std::string> DatasetFor(const features::FeatureView& view) const;

  // Writes the new version. Errors: FailedPrecondition when a column of the
  // dataset has another type than the events' (naming both); the lake's
  // errors.
  Status Append(const features::OfflineEvents& events) override;

  // Each dataset written, with the version id its last flush made.
  const std::map<std::string, std::string>& written() const { return written_; }

 private:
  Lake& lake_;
  const features::FeatureDefinitions& definitions_;
  const std::string dataset_;
  const std::string origin_;
  std::map<std::string, std::string> written_;
};

}  // namespace keel::cli

#endif  // KEEL_CLI_STREAM_LAKE_SINK_H_
