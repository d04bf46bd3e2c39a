// JSON shapes shared by the lake's subcommands (ingest, datasets).
#ifndef KEEL_CLI_LAKE_JSON_H_
#define KEEL_CLI_LAKE_JSON_H_

#include "keel/lake/lake.h"
#include "keel/lake/profile.h"
#include "keel/table/column.h"
#include "nlohmann/json.hpp"

namespace keel::cli {

// {"dataset","version","short_version","created_at","source","rows","columns",
//  "schema":[{"name","type","nullable"}],"format","parse_options","raw_keys",
//  "raw_size_bytes","raw_sha256","table_key","partition_column"}
nlohmann::json VersionJson(const DatasetVersionRecord& v);
// Value i of `column` as JSON: null, bool, integer, number, or string
// (timestamps in RFC 3339).
nlohmann::json CellJson(const Column& column, int64_t i);
nlohmann::json ProfileJson(const ColumnProfile& p);

}  // namespace keel::cli

#endif  // KEEL_CLI_LAKE_JSON_H_
