// keel features stream: consume a Redis Stream (consumer group) into the
// online store within milliseconds of each event, dead-letter bad messages,
// and append the events to the lake (each view's source dataset by
// default) so training sets see them too. Runs until SIGTERM/SIGINT or
// --max-events.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"
#include "keel/base/time.h"
#include "keel/cli/commands.h"
#include "keel/cli/common.h"
#include "keel/cli/features_common.h"
#include "keel/cli/stream_lake_sink.h"
#include "keel/features/open_online_store.h"
#include "keel/features/stream.h"

namespace keel::cli {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct StreamArgs {
  std::string stream;
  std::string group = "keel";
  std::string consumer;
  std::string redis_url;
  std::string view;
  std::string start_id = "$";
  int batch = 500;
  int64_t max_events = 0;
  std::string offline_dataset;  // "": each view's source dataset; "none": off
  int64_t flush_events = 10'000;
  double flush_seconds = 60;
  double give_up_seconds = 0;
  double claim_idle_seconds = -1;  // < 0: 300, or twice flush_seconds when larger
};

// Set by SIGTERM / SIGINT while a stream command runs; the consumer asks it
// between reads.
std::atomic<bool> stop_requested{false};

void RequestStop(int) { stop_requested.store(true); }

// Installs RequestStop for SIGTERM and SIGINT; the destructor puts the
// previous handlers back.
class StopOnSignals {
 public:
  StopOnSignals() {
    stop_requested.store(false);
    struct sigaction action = {};
    action.sa_handler = RequestStop;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, &old_term_);
    sigaction(SIGINT, &action, &old_int_);
  }
  ~StopOnSignals() {
    sigaction(SIGTERM, &old_term_, nullptr);
    sigaction(SIGINT, &old_int_, nullptr);
  }

 private:
  struct sigaction old_term_ = {};
  struct sigaction old_int_ = {};
};

std::string DefaultConsumerName() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    return absl::StrCat("keel-", ::getpid());
  }
  return absl::StrCat(host, "-", ::getpid());
}

// The URL without a password (redis://:PASSWORD@host, unix://...?password=),
// for messages and the lake's records.
std::string Redacted(std::string url) {
  if (const size_t q = url.find('?');
      q != std::string::npos && url.find("password=", q) != std::string::npos) {
    url = url.substr(0, q);
  }
  const size_t scheme = url.find("://");
  const size_t at = url.rfind('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  return url.substr(0, scheme + 3) + url.substr(at + 1);
}

std::string StatusLine(const std::string& stream, const features::StreamStats& s,
                       double events_per_second) {
  std::string line = absl::StrFormat("stream %s: %d events (%.0f/s), %d pushed, %d dead-lettered",
                                     stream, s.read, events_per_second, s.pushed, s.dead_lettered);
  if (s.offline_flushes > 0) {
    absl::StrAppend(&line, ", ", s.offline_appended, " appended offline");
  }
  if (s.latest_event_time_us != 0) {
    absl::StrAppend(&line, absl::StrFormat(", lag %.3f s", s.lag_us / 1e6));
  }
  if (s.outages > 0) absl::StrAppend(&line, ", ", s.outages, " outages recovered");
  return line;
}

Status Stream(CommandContext& context, const StreamArgs& args) {
  if (args.batch <= 0) {
    return AsUsageError(absl::InvalidArgumentError(
        absl::StrCat("--batch ", args.batch, ": give a positive number of messages per read")));
  }
  const bool offline = args.offline_dataset != "none";
  if (offline && !args.offline_dataset.empty()) {
    if (Status s = ValidateDatasetName(args.offline_dataset); !s.ok()) {
      return AsUsageError(Annotate(s, "--offline-dataset"));
    }
  }
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  KEEL_ASSIGN_OR_RETURN(auto latest, LoadLatestFeatureDefinitions(*lake));
  const features::FeatureDefinitions& defs = latest.second;
  if (!args.view.empty() && defs.FindView(args.view) == nullptr) {
    std::vector<std::string> names;
    for (const features::FeatureView& v : defs.views) names.push_back(v.name);
    return AsUsageError(absl::NotFoundError(
        absl::StrCat("--view ", args.view, ": no such feature view.", DidYouMean(args.view, names),
                     " Views: ", absl::StrJoin(names, ", "))));
  }
  KEEL_ASSIGN_OR_RETURN(Workspace * ws, context.workspace());
  const features::OnlineStoreConfig store_config = features::OnlineStoreConfigFor(*ws);

  features::StreamOptions options;
  options.redis_url = args.redis_url.empty() ? store_config.redis_url : args.redis_url;
  options.stream = args.stream;
  options.group = args.group;
  options.consumer = args.consumer.empty() ? DefaultConsumerName() : args.consumer;
  options.start_id = args.start_id;
  options.default_view = args.view;
  options.batch = args.batch;
  options.max_events = args.max_events;
  options.offline_flush_events = args.flush_events;
  options.offline_flush_interval_ms = static_cast<int64_t>(args.flush_seconds * 1000);
  options.give_up_after_ms = static_cast<int64_t>(args.give_up_seconds * 1000);
  const double claim_idle_seconds = args.claim_idle_seconds >= 0
                                        ? args.claim_idle_seconds
                                        : std::max(300.0, 2 * args.flush_seconds);
  if (offline && claim_idle_seconds > 0 && claim_idle_seconds < 2 * args.flush_seconds) {
    return AsUsageError(absl::InvalidArgumentError(
        absl::StrCat("--claim-idle ", claim_idle_seconds,
                     " must be 0 or at least twice --flush-interval (", args.flush_seconds,
                     "): a live consumer keeps its events unacknowledged until it flushes, "
                     "and another would take them over")));
  }
  options.claim_idle_ms = static_cast<int64_t>(claim_idle_seconds * 1000);

  std::unique_ptr<LakeEventSink> sink;
  if (offline) {
    sink = std::make_unique<LakeEventSink>(
        *lake, defs, args.offline_dataset,
        absl::StrCat("redis stream '", args.stream, "' at ", Redacted(options.redis_url)));
    if (!args.view.empty()) {
      if (StatusOr<std::string> d = sink->DatasetFor(*defs.FindView(args.view)); !d.ok()) {
        return AsUsageError(d.status());
      }
    }
  }
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<features::OnlineStore> store,
                        features::OpenOnlineStore(store_config));
  StatusOr<std::unique_ptr<features::StreamConsumer>> consumer =
      features::StreamConsumer::Create(defs, *store, sink.get(), options);
  if (!consumer.ok()) {
    return absl::IsInvalidArgument(consumer.status()) || absl::IsNotFound(consumer.status())
               ? AsUsageError(consumer.status())
               : consumer.status();
  }

  const ProgressOptions progress = context.progress_options();
  const bool show = progress.mode != ProgressMode::kOff;
  const auto interval = std::chrono::duration<double>(progress.line_interval_seconds);
  const auto start = Clock::now();
  auto last_line = start;
  int64_t last_read = 0;
  if (show) {
    std::fprintf(stderr, "stream %s: consuming as %s/%s from redis %s into the %s online store%s\n",
                 args.stream.c_str(), options.group.c_str(), options.consumer.c_str(),
                 Redacted(options.redis_url).c_str(), std::string(store->kind()).c_str(),
                 offline ? " and the lake" : "");
  }
  StopOnSignals signals;
  const Status run = (*consumer)->Run(
      [] { return stop_requested.load(); },
      [&](const features::StreamStats& s) {
        const auto now = Clock::now();
        if (!show || now - last_line < interval) return;
        const double seconds = std::chrono::duration<double>(now - last_line).count();
        std::fprintf(stderr, "%s\n",
                     StatusLine(args.stream, s, (s.read - last_read) / seconds).c_str());
        last_line = now;
        last_read = s.read;
      });
  const features::StreamStats& s = (*consumer)->stats();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (show) {
    std::fprintf(stderr, "%s\n",
                 StatusLine(args.stream, s, elapsed > 0 ? s.read / elapsed : 0).c_str());
  }
  KEEL_RETURN_IF_ERROR(run);

  json datasets = json::object();
  if (sink != nullptr) {
    for (const auto& [name, version] : sink->written()) datasets[name] = version.substr(0, 12);
  }
  if (context.options().json) {
    context.PrintJson(
        {{"stream", args.stream},
         {"group", options.group},
         {"consumer", options.consumer},
         {"dead_letter_stream", (*consumer)->dead_letter_stream()},
         {"store", features::OnlineStoreId(store_config)},
         {"read", s.read},
         {"replayed", s.replayed},
         {"claimed", s.claimed},
         {"pushed", s.pushed},
         {"dead_lettered", s.dead_lettered},
         {"acked", s.acked},
         {"offline",
          {{"appended", s.offline_appended},
           {"flushes", s.offline_flushes},
           {"datasets", datasets}}},
         {"outages", s.outages},
         {"last_id", s.last_id},
         {"latest_event_time",
          s.latest_event_time_us != 0 ? json(FormatRfc3339(s.latest_event_time_us)) : json()},
         {"lag_ms", s.latest_event_time_us != 0 ? json(s.lag_us / 1000) : json()},
         {"seconds", elapsed}});
    return absl::OkStatus();
  }
  context.Print(
      absl::StrFormat("%d events from %s: %d pushed to the %s online store, %d "
                      "dead-lettered to %s",
                      s.read, args.stream, s.pushed, std::string(store->kind()), s.dead_lettered,
                      (*consumer)->dead_letter_stream()));
  for (const auto& [name, version] : datasets.items()) {
    context.Print(absl::StrFormat("%d events appended to dataset %s (now version %s)",
                                  s.offline_appended, name, version.get<std::string>()));
  }
  return absl::OkStatus();
}

}  // namespace

void AddFeaturesStreamCommand(CLI::App& features, CommandContext& context) {
  auto args = std::make_shared<StreamArgs>();
  CLI::App* cmd = features.add_subcommand(
      "stream",
      "Consume a Redis Stream with a consumer group: write each event to the online store at "
      "once, append the events to the lake (each view's source dataset), dead-letter bad "
      "messages to STREAM:dead; until SIGTERM/SIGINT or --max-events");
  cmd->add_option("--stream", args->stream, "The Redis Stream to read")
      ->required()
      ->type_name("NAME");
  cmd->add_option("--group", args->group, "Consumer group (created when missing)")
      ->capture_default_str()
      ->type_name("NAME");
  cmd->add_option("--consumer", args->consumer,
                  "This consumer's name in the group (default: HOSTNAME-PID); a restart under "
                  "the same name replays what it had read but not acknowledged")
      ->type_name("NAME");
  cmd->add_option("--redis-url", args->redis_url,
                  "The stream's server (default: online_store.redis_url of keel.yaml)")
      ->type_name("URL");
  cmd->add_option("--view", args->view, "Feature view of messages without a feature_view field")
      ->type_name("VIEW");
  cmd->add_option("--start-id", args->start_id,
                  "Where a new group starts: $ (events added from now on) or 0 (all the stream "
                  "holds)")
      ->capture_default_str()
      ->type_name("ID");
  cmd->add_option("--batch", args->batch, "Messages per read")->capture_default_str();
  cmd->add_option("--max-events", args->max_events,
                  "Stop after this many messages (pushed or dead-lettered)")
      ->type_name("N");
  cmd->add_option("--offline-dataset", args->offline_dataset,
                  "Append the events to this dataset instead of each view's source dataset; "
                  "'none': online only")
      ->type_name("NAME|none");
  cmd->add_option("--flush-events", args->flush_events,
                  "Append to the lake once this many events are buffered")
      ->capture_default_str()
      ->type_name("N");
  cmd->add_option("--flush-interval", args->flush_seconds,
                  "... or once the oldest buffered event waited this long")
      ->capture_default_str()
      ->type_name("SECONDS");
  cmd->add_option("--give-up-after", args->give_up_seconds,
                  "Fail when Redis stayed unreachable this long (0: keep retrying)")
      ->capture_default_str()
      ->type_name("SECONDS");
  cmd->add_option("--claim-idle", args->claim_idle_seconds,
                  "Take over entries other consumers left unacknowledged this long (0: never; "
                  "at least twice --flush-interval; default 300, or twice --flush-interval)")
      ->type_name("SECONDS");
  context.Bind(cmd, [&context, args]() { return Stream(context, *args); });
}

}  // namespace keel::cli
