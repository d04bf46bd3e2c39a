#!/bin/sh
# Compiler launcher for the fuzz target: CMake runs "LAUNCHER <c++> ARGS...";
# this runs clang++ with the same ARGS instead (libFuzzer needs clang's
# coverage instrumentation; the rest of Keel stays built by the project's
# compiler and links in unchanged: both use libstdc++).
shift
if command -v ccache >/dev/null 2>&1; then exec ccache clang++ "$@"; fi
exec clang++ "$@"
