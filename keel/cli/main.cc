// Entry point of the `keel` program.
#include "keel/cli/app.h"

int main(int argc, char** argv) { return keel::cli::Main(argc, argv); }
