// "Did you mean ...?" for every place that looks a name up: subcommands,
// flags, config keys, learner and transform names.
#ifndef KEEL_BASE_SUGGEST_H_
#define KEEL_BASE_SUGGEST_H_

#include <string>
#include <string_view>
#include <vector>

namespace keel {

// Optimal-string-alignment distance (insertions, deletions, substitutions and
// transpositions of neighbours each cost 1), compared case-insensitively.
int EditDistance(std::string_view a, std::string_view b);

// The candidates closest to `word`, best first, at most `max_results`; only
// those within a distance that scales with the word's length (a third of it,
// at least 1), plus candidates that start with `word` when it is 3+ long.
std::vector<std::string> ClosestMatches(std::string_view word,
                                        const std::vector<std::string>& candidates,
                                        size_t max_results = 3);

// " Did you mean 'a' or 'b'?" (with the leading space), or "" when nothing is
// close. Ready to append to an error message.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace keel

#endif  // KEEL_BASE_SUGGEST_H_
