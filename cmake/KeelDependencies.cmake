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
# libpq (libpq-dev) for the PostgreSQL query source in keel/sql.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
# hiredis 0.14 (libhiredis-dev) for keel/features' Redis online store.
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
# table: XXH3 checksums of native file chunks.
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
# RocksDB 7.8 (librocksdb-dev) for keel/features' embedded online store; the
# shared library through pkg-config (the static CMake target drags in gflags).
pkg_check_modules(ROCKSDB REQUIRED IMPORTED_TARGET rocksdb)
# libxgboost 1.7 (libxgboost-dev) for keel/learn/trees. Its CMake config
# refers to /usr/bin/xgboost, which Debian does not ship, so find it directly.
find_path(XGBOOST_INCLUDE_DIR xgboost/c_api.h REQUIRED)
find_library(XGBOOST_LIBRARY NAMES xgboost REQUIRED)
if(NOT TARGET xgboost::xgboost)
  add_library(xgboost::xgboost SHARED IMPORTED)
  set_target_properties(xgboost::xgboost PROPERTIES
    IMPORTED_LOCATION "${XGBOOST_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${XGBOOST_INCLUDE_DIR}")
endif()
# Eigen 3.4 (libeigen3-dev, header-only) for keel/learn/linear; its headers
# stay inside that folder's .cc files.
find_package(Eigen3 3.4 REQUIRED NO_MODULE)
# Boost.Beast / Asio (libboost-dev, header-only) for keel/serve's HTTP
# server; its headers stay inside keel/serve/http_server.cc.
find_package(Boost 1.74 REQUIRED)
# gRPC 1.51 and protobuf 3.21 (libgrpc++-dev, libprotobuf-dev,
# protobuf-compiler, protobuf-compiler-grpc) for keel/serve/grpc, the KServe
# V2 gRPC service; their headers stay inside that folder's .cc files.
# Debian's gRPC ships a CMake config (gRPC::grpc++, gRPC::grpc_cpp_plugin);
# protobuf is found by CMake's FindProtobuf (protobuf::libprotobuf, protoc).
find_package(Protobuf 3.12 REQUIRED)
find_package(gRPC CONFIG REQUIRED)
# libpng (libpng-dev) and libjpeg-turbo (libjpeg62-turbo-dev) for
# keel/transform's image step; their headers stay inside image_util.cc.
find_package(PNG REQUIRED)
find_package(JPEG REQUIRED)
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
