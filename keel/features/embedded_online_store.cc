#include "keel/features/embedded_online_store.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <deque>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace keel::features {
namespace {

constexpr int64_t kRowsPerWriteBatch = 16384;

// Event time of an encoded row; corrupt bytes sort before every row, so a
// good row always replaces them.
int64_t TimeOf(const rocksdb::Slice& value) {
  StatusOr<int64_t> t = DecodeRowTime(std::string_view(value.data(), value.size()));
  return t.ok() ? *t : INT64_MIN;
}

// Keeps the operand with the latest event time; at equal times the later
// operand (operands come oldest first, after the existing value).
class NewestRowWins final : public rocksdb::MergeOperator {
 public:
  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    const rocksdb::Slice* best = in.existing_value;
    int64_t best_time = best == nullptr ? INT64_MIN : TimeOf(*best);
    for (const rocksdb::Slice& operand : in.operand_list) {
      const int64_t t = TimeOf(operand);
      if (best == nullptr || t >= best_time) {
        best = &operand;
        best_time = t;
      }
    }
    if (best == nullptr) return false;
    out->existing_operand = *best;
    return true;
  }

  bool PartialMerge(const rocksdb::Slice&, const rocksdb::Slice& left,
                    const rocksdb::Slice& right, std::string* new_value,
                    rocksdb::Logger*) const override {
    const rocksdb::Slice& keep = TimeOf(right) >= TimeOf(left) ? right : left;
    new_value->assign(keep.data(), keep.size());
    return true;
  }

  bool PartialMergeMulti(const rocksdb::Slice&, const std::deque<rocksdb::Slice>& operands,
                         std::string* new_value, rocksdb::Logger*) const override {
    const rocksdb::Slice* best = nullptr;
    int64_t best_time = INT64_MIN;
    for (const rocksdb::Slice& operand : operands) {
      const int64_t t = TimeOf(operand);
      if (best == nullptr || t >= best_time) {
        best = &operand;
        best_time = t;
      }
    }
    if (best == nullptr) return false;
    new_value->assign(best->data(), best->size());
    return true;
  }
  const char* Name() const override { return "keel.NewestRowWins"; }
};

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsCorruption()) {
    return absl::DataLossError(absl::StrCat("embedded online store: ", std::string(what), ": ",
                                            s.ToString()));
  }
  return absl::InternalError(
      absl::StrCat("embedded online store: ", std::string(what), ": ", s.ToString()));
}

std::string StoreKey(std::string_view view, std::string_view entity) {
  std::string key;
  key.reserve(view.size() + 1 + entity.size());
  key.append(view);
  key.push_back('\0');
  key.append(entity);
  return key;
}

}  // namespace

struct EmbeddedOnlineStore::Impl {
  std::unique_ptr<rocksdb::DB> db;
};

EmbeddedOnlineStore::EmbeddedOnlineStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

EmbeddedOnlineStore::~EmbeddedOnlineStore() {
  if (impl_ && impl_->db) (void)impl_->db->Close();
}

StatusOr<std::unique_ptr<EmbeddedOnlineStore>> EmbeddedOnlineStore::Open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("embedded online store: cannot create folder ", dir, ": ", ec.message()));
  }
  rocksdb::Options options;
  options.create_if_missing = true;
  options.merge_operator = std::make_shared<NewestRowWins>();
  options.IncreaseParallelism(2);
  options.max_open_files = 256;
  options.keep_log_file_num = 2;
  options.compression = rocksdb::kLZ4Compression;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.block_cache = rocksdb::NewLRUCache(64 << 20);
  table.cache_index_and_filter_blocks = false;
  table.whole_key_filtering = true;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.memtable_whole_key_filtering = true;
  options.memtable_prefix_bloom_size_ratio = 0.02;

  rocksdb::DB* db = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(options, dir, &db);
  if (!s.ok()) {
    if (s.IsIOError() && absl::StrContains(s.ToString(), "lock")) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the embedded online store at ", dir,
          " is open in another process (a running `keel serve`?); only one process may open it "
          "at a time: stop that process, or set online_store.type: redis in keel.yaml for "
          "several writers"));
    }
    return FromRocks(s, absl::StrCat("open ", dir));
  }
  auto impl = std::make_unique<Impl>();
  impl->db.reset(db);
  return std::unique_ptr<EmbeddedOnlineStore>(new EmbeddedOnlineStore(std::move(impl)));
}

StatusOr<int64_t> EmbeddedOnlineStore::Write(const OnlineView& view,
                                             const OnlineWriteBatch& batch) {
  KEEL_ASSIGN_OR_RETURN(std::vector<const Column*> columns, BatchColumns(view, batch));
  const int64_t rows = batch.values->num_rows();
  rocksdb::WriteOptions options;
  std::string key;
  std::string value;
  std::vector<int64_t> order;
  for (int64_t begin = 0; begin < rows; begin += kRowsPerWriteBatch) {
    const int64_t end = std::min(rows, begin + kRowsPerWriteBatch);
    // Inserted in key order, the memtable's skip list reuses its last
    // position (about twice as fast as random order); a stable sort keeps
    // repeated keys in arrival order, which the merge operator's ties use.
    order.resize(end - begin);
    for (int64_t r = begin; r < end; ++r) order[r - begin] = r;
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return batch.keys[a] < batch.keys[b]; });
    rocksdb::WriteBatch wb;
    for (const int64_t r : order) {
      key.assign(view.name);
      key.push_back('\0');
      key.append(batch.keys[r]);
      value.clear();
      AppendEncodedRow(batch.event_times[r], view.features, columns, r, &value);
      const rocksdb::Status s = wb.Merge(key, value);
      if (!s.ok()) return FromRocks(s, "write batch");
    }
    KEEL_RETURN_IF_ERROR(FromRocks(impl_->db->Write(options, &wb), "write"));
  }
  return rows;
}

Status EmbeddedOnlineStore::Read(const OnlineView& view, std::span<const std::string> keys,
                                 std::span<const std::string> features, int64_t now_us,
                                 std::vector<OnlineRow>* out) {
  KEEL_ASSIGN_OR_RETURN(std::vector<TypedName> wanted, view.Resolve(features));
  out->resize(keys.size());
  const int64_t oldest = view.ttl_us ? now_us - *view.ttl_us : INT64_MIN;
  rocksdb::ReadOptions options;
  rocksdb::PinnableSlice value;
  for (size_t i = 0; i < keys.size(); ++i) {
    OnlineRow& row = (*out)[i];
    value.Reset();
    const std::string key = StoreKey(view.name, keys[i]);
    const rocksdb::Status s =
        impl_->db->Get(options, impl_->db->DefaultColumnFamily(), key, &value);
    if (s.IsNotFound()) {
      row.found = false;
      row.expired = false;
      row.event_time = 0;
      row.values.assign(wanted.size(), FeatureValue());
      for (size_t f = 0; f < wanted.size(); ++f) row.values[f].type = wanted[f].type;
      continue;
    }
    KEEL_RETURN_IF_ERROR(FromRocks(s, "read"));
    KEEL_RETURN_IF_ERROR(DecodeRow(std::string_view(value.data(), value.size()), wanted, &row));
    row.expired = row.event_time < oldest;
    if (row.expired) {
      row.found = false;
      for (FeatureValue& v : row.values) v = FeatureValue{.type = v.type};
    }
  }
  return absl::OkStatus();
}

Status EmbeddedOnlineStore::Flush() {
  return FromRocks(impl_->db->Flush(rocksdb::FlushOptions()), "flush");
}

}  // namespace keel::features
