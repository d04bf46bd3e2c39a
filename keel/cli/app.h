// The `keel` command: builds the command tree, parses the arguments, runs the
// chosen subcommand and turns its Status into a message and an exit code
// (0 ok, 1 failure, 2 usage error).
#ifndef KEEL_CLI_APP_H_
#define KEEL_CLI_APP_H_

namespace keel::cli {

int Main(int argc, char** argv);

}  // namespace keel::cli

#endif  // KEEL_CLI_APP_H_
