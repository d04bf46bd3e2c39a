// Splitting a table by the values of one column (Hive-style partitions) and
// putting the pieces back together.
#ifndef KEEL_LAKE_PARTITION_H_
#define KEEL_LAKE_PARTITION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "keel/base/status.h"
#include "keel/table/table.h"

namespace keel {

struct Partition {
  // "<column>=<value>" with every byte of either outside [A-Za-z0-9._-] written %XX
  // (null: "<column>=__null__"): a valid object-key segment.
  std::string path_segment;
  Table table;
};

// One partition per distinct value of `column`, in order of the segment;
// rows keep their order within a partition. Errors: NotFound for an unknown
// column (with the closest names); InvalidArgument past `max_partitions`.
StatusOr<std::vector<Partition>> PartitionTable(const Table& table, const std::string& column,
                                                int64_t max_partitions = 10'000);

// The rows of `indices`, in that order.
Table TakeRows(const Table& table, const std::vector<int64_t>& indices);

// The tables one after the other. Errors: InvalidArgument when schemas
// differ. No tables: an empty table.
StatusOr<Table> ConcatTables(const std::vector<Table>& tables);

}  // namespace keel

#endif  // KEEL_LAKE_PARTITION_H_
