# Third-party libraries, all from Debian packages (scripts/install-deps.sh).
# Nothing is downloaded at build time.

find_package(absl CONFIG REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(yaml-cpp CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(Threads REQUIRED)
if(KEEL_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
if(KEEL_BUILD_BENCH)
  find_package(benchmark CONFIG REQUIRED)
endif()

# yaml-cpp 0.7 exports a plain `yaml-cpp` target; give it a namespaced name.
if(TARGET yaml-cpp AND NOT TARGET yaml-cpp::yaml-cpp)
  add_library(yaml-cpp::yaml-cpp ALIAS yaml-cpp)
endif()
