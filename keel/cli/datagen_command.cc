// keel datagen fraud: generate the example card-transaction data set.
#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "keel/base/time.h"
#include "keel/cli/commands.h"
#include "keel/datagen/fraud_data.h"

namespace keel::cli {
namespace {

// "500MB", "1GB", "2.5GiB", "1000" (bytes) -> bytes.
StatusOr<int64_t> ParseSize(const std::string& text) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (...) {
    used = 0;
  }
  std::string unit = text.substr(used);
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::vector<std::pair<std::string, double>> units = {
      {"", 1},     {"B", 1},        {"KB", 1e3},        {"MB", 1e6},
      {"GB", 1e9}, {"KIB", 1024.0}, {"MIB", 1048576.0}, {"GIB", 1073741824.0}};
  for (const auto& [name, factor] : units) {
    if (used > 0 && unit == name && value > 0) return static_cast<int64_t>(value * factor);
  }
  return AsUsageError(absl::InvalidArgumentError(
      absl::StrCat("--size: cannot read '", text, "'; write a size such as 500MB or 1GB")));
}

}  // namespace

void AddDatagenCommand(CLI::App& app, CommandContext& context) {
  CLI::App* cmd = app.add_subcommand("datagen", "Generate example data sets");
  cmd->require_subcommand(1);

  struct Args {
    std::string out = "data/fraud";
    int64_t rows = 100'000;
    std::string size;
    uint64_t seed = 42;
    int64_t users = 0;
    int64_t merchants = 0;
    int days = 90;
    std::string start = "2024-01-01T00:00:00Z";
  };
  auto args = std::make_shared<Args>();
  CLI::App* fraud = cmd->add_subcommand(
      "fraud",
      "Card transactions with a learnable fraud label, plus users, merchants and weekly user "
      "snapshots (CSV files)");
  fraud->add_option("--out,-o", args->out, "Folder for the CSV files (created if missing)")
      ->capture_default_str()
      ->type_name("DIR");
  fraud->add_option("--rows,-n", args->rows, "Number of transactions")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  fraud
      ->add_option("--size", args->size,
                   "Approximate size of transactions.csv instead of --rows (e.g. 1GB)")
      ->type_name("SIZE")
      ->excludes(fraud->get_option("--rows"));
  fraud->add_option("--seed", args->seed, "Random seed: the same seed gives the same bytes")
      ->capture_default_str();
  fraud->add_option("--users", args->users, "Number of users (default: rows/50, at least 100)");
  fraud->add_option("--merchants", args->merchants,
                    "Number of merchants (default: users/10, at least 50)");
  fraud->add_option("--days", args->days, "Days spanned by the event times")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  fraud->add_option("--start", args->start, "First event time (RFC 3339 or YYYY-MM-DD)")
      ->capture_default_str()
      ->type_name("TIME");

  context.Bind(fraud, [&context, args]() -> Status {
    datagen::FraudDataOptions options;
    options.rows = args->rows;
    if (!args->size.empty()) {
      KEEL_ASSIGN_OR_RETURN(int64_t bytes, ParseSize(args->size));
      options.rows = datagen::RowsForBytes(bytes);
    }
    options.seed = args->seed;
    options.users = args->users;
    options.merchants = args->merchants;
    options.days = args->days;
    StatusOr<TimestampMicros> start = ParseTimestamp(args->start);
    if (!start.ok()) return AsUsageError(Annotate(start.status(), "--start"));
    options.start = *start;

    Progress progress("datagen fraud", options.rows, "rows", context.progress_options());
    StatusOr<datagen::FraudDataSummary> summary =
        datagen::WriteFraudData(args->out, options, &progress);
    if (!summary.ok()) {
      return summary.status().code() == absl::StatusCode::kInvalidArgument
                 ? AsUsageError(summary.status())
                 : summary.status();
    }
    progress.Finish();
    if (context.options().json) {
      context.PrintJson({{"folder", args->out},
                         {"seed", options.seed},
                         {"transactions", summary->transactions},
                         {"frauds", summary->frauds},
                         {"users", summary->users},
                         {"merchants", summary->merchants},
                         {"user_snapshots", summary->snapshots},
                         {"transactions_bytes", summary->transaction_bytes}});
      return absl::OkStatus();
    }
    context.Print(absl::StrFormat(
        "Wrote %s/: transactions.csv (%d rows, %s, %.2f%% fraud), users.csv (%d), merchants.csv "
        "(%d), user_snapshots.csv (%d)",
        args->out, summary->transactions,
        Progress::FormatCount(static_cast<double>(summary->transaction_bytes), "bytes"),
        100.0 * summary->frauds / summary->transactions, summary->users, summary->merchants,
        summary->snapshots));
    return absl::OkStatus();
  });
}

}  // namespace keel::cli
