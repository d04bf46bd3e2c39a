// Internal to keel/transform: text helpers shared by the hashing and text
// steps: MurmurHash3 as scikit-learn uses it, and a tokenizer that splits
// like scikit-learn's default analyzer (lowercase, token_pattern
// r"(?u)\b\w\w+\b", word n-grams) into reusable buffers.
#ifndef KEEL_TRANSFORM_TEXT_UTIL_H_
#define KEEL_TRANSFORM_TEXT_UTIL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace keel::transform {

// MurmurHash3_x86_32 (Austin Appleby), as scikit-learn's murmurhash3_32.
uint32_t Murmur3(std::string_view key, uint32_t seed);

// scikit-learn's FeatureHasher for one string feature: the output index in
// [0, n) and the sign (-1 for a negative hash when alternate_sign).
inline void HashFeature(std::string_view s, int n, bool alternate_sign, int* index,
                        double* sign) {
  const int32_t h = static_cast<int32_t>(Murmur3(s, 0));
  if (h == INT32_MIN) {
    *index = static_cast<int>((INT32_MAX - (n - 1)) % n);
  } else {
    *index = static_cast<int>((h < 0 ? -h : h) % n);
  }
  *sign = alternate_sign && h < 0 ? -1.0 : 1.0;
}

// Splits documents into terms. Tokens are the maximal runs of word
// characters of at least 2 characters (what r"(?u)\b\w\w+\b" finds); word
// characters are ASCII letters, digits and '_', and every non-ASCII code
// point except common punctuation, symbols and spaces (U+0080-U+00BF but
// ª ² ³ µ ¹ º ¼ ½ ¾, × ÷, U+2000-U+2BFF, U+3000-U+303F, U+FE30-U+FE4F,
// fullwidth punctuation, U+1F000-U+1FAFF) -- an approximation of Python's
// Unicode \w. `lowercase` folds ASCII and Latin-1 letters (Python's
// str.lower folds every script). Terms are the tokens (n = 1) and the
// space-joined runs of n tokens, for n in [min_n, max_n], as scikit-learn's
// _word_ngrams. Not thread-safe; one per thread (buffers are reused, so
// after warm-up it does not allocate).
class Tokenizer {
 public:
  Tokenizer() = default;
  Tokenizer(bool lowercase, int min_n, int max_n) { Configure(lowercase, min_n, max_n); }
  // Changes the options, keeping the buffers.
  void Configure(bool lowercase, int min_n, int max_n) {
    lowercase_ = lowercase;
    min_n_ = min_n;
    max_n_ = max_n;
  }

  // Calls f(term) for every term of `doc`, term a view valid during the call.
  template <typename F>
  void ForEachTerm(std::string_view doc, F&& f) {
    Split(doc);
    const int n_tokens = static_cast<int>(tokens_.size());
    for (int n = min_n_; n <= max_n_ && n <= n_tokens; ++n) {
      for (int i = 0; i + n <= n_tokens; ++i) {
        if (n == 1) {
          f(tokens_[i]);
          continue;
        }
        joined_.clear();
        for (int t = i; t < i + n; ++t) {
          if (t > i) joined_.push_back(' ');
          joined_.append(tokens_[t]);
        }
        f(std::string_view(joined_));
      }
    }
  }

 private:
  // Fills tokens_ (views into text_).
  void Split(std::string_view doc);

  bool lowercase_ = true;
  int min_n_ = 1, max_n_ = 1;
  std::string text_;
  std::string joined_;
  std::vector<std::string_view> tokens_;
};

}  // namespace keel::transform

#endif  // KEEL_TRANSFORM_TEXT_UTIL_H_
