#include "keel/serve/grpc/grpc_server.h"

#include <grpcpp/grpcpp.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/python.h"
#include "keel/base/testing/subprocess.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/serve/grpc/inference.grpc.pb.h"
#include "keel/serve/test_fixture.h"
#include "keel/table/csv_reader.h"

namespace keel::serve {
namespace {

using inference::ModelInferRequest;
using inference::ModelInferResponse;
using ::testing::HasSubstr;

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

template <typename T>
void AppendRaw(T value, std::string* out) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out->append(bytes, sizeof(T));
}

template <typename T>
T RawAt(const std::string& raw, size_t i) {
  T v;
  std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
  return v;
}

class GrpcServerTest : public ::testing::Test {
 protected:
  GrpcServerTest() : manager_(&fixture_.lake()), metrics_("test") {
    fixture_.TrainAndStore("fraud");
    fixture_.TrainNumericAndStore("reg");
    EXPECT_TRUE(manager_.Add("fraud").ok());
    EXPECT_TRUE(manager_.Add("reg").ok());
    server_ = StartServer({});
    stub_ = NewStub(server_->port());
  }

  std::unique_ptr<GrpcServer> StartServer(std::vector<std::string> api_keys) {
    GrpcServerOptions options{.host = "127.0.0.1", .port = 0, .threads = 4};
    options.api_keys = std::move(api_keys);
    options.keel_version = "test";
    auto server = GrpcServer::Start(&manager_, &metrics_, options);
    EXPECT_TRUE(server.ok()) << server.status();
    EXPECT_GT((*server)->port(), 0);
    return *std::move(server);
  }

  static std::unique_ptr<inference::GRPCInferenceService::Stub> NewStub(int port) {
    return inference::GRPCInferenceService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  grpc::Status Infer(const ModelInferRequest& request, ModelInferResponse* response,
                     grpc::ClientContext* context = nullptr) {
    grpc::ClientContext local;
    return stub_->ModelInfer(context != nullptr ? context : &local, request, response);
  }

  // Bundle::Predict on the same rows: the reference numbers.
  Table Reference(const Table& rows, const std::string& ref = "fraud") {
    auto out = fixture_.LoadBundle(ref).Predict(rows);
    EXPECT_TRUE(out.ok()) << out.status();
    return *out;
  }

  // One tensor per fraud input from `rows`, typed contents (or raw): amount
  // FP64 (a null as NaN), merchant and event_time (RFC 3339) BYTES, n_items
  // INT64.
  static ModelInferRequest FraudRequest(const Table& rows, bool raw) {
    ModelInferRequest request;
    request.set_model_name("fraud");
    request.set_id("req-1");
    for (int c = 0; c < rows.num_columns(); ++c) {
      const Field& f = rows.schema().field(c);
      if (f.name == "is_fraud") continue;
      auto* t = request.add_inputs();
      t->set_name(f.name);
      t->add_shape(rows.num_rows());
      t->set_datatype(f.type == DataType::kFloat64 ? "FP64"
                      : f.type == DataType::kInt64 ? "INT64"
                                                   : "BYTES");
      std::string* bytes = raw ? request.add_raw_input_contents() : nullptr;
      const Column& col = rows.column(c);
      for (int64_t r = 0; r < rows.num_rows(); ++r) {
        if (f.type == DataType::kFloat64) {
          const double v =
              col.IsNull(r) ? std::numeric_limits<double>::quiet_NaN() : col.Float64Values()[r];
          raw ? AppendRaw(v, bytes) : t->mutable_contents()->add_fp64_contents(v);
        } else if (f.type == DataType::kInt64) {
          raw ? AppendRaw(col.Int64Values()[r], bytes)
              : t->mutable_contents()->add_int64_contents(col.Int64Values()[r]);
        } else {
          const std::string v = col.ValueToString(r);
          if (raw) {
            AppendRaw(static_cast<uint32_t>(v.size()), bytes);
            bytes->append(v);
          } else {
            t->mutable_contents()->add_bytes_contents(v);
          }
        }
      }
    }
    return request;
  }

  // A valid one-row typed request, for the error cases to break.
  static ModelInferRequest OneRow() { return FraudRequest(testing::Transactions(1, 3), false); }

  void ExpectInvalid(const ModelInferRequest& request, const std::string& field,
                     const std::string& message) {
    ModelInferResponse response;
    grpc::ClientContext context;
    grpc::Status status = Infer(request, &response, &context);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(field + ": "));
    EXPECT_THAT(status.error_message(), HasSubstr(message));
    const auto& trailers = context.GetServerTrailingMetadata();
    auto it = trailers.find("keel-error-field");
    ASSERT_NE(it, trailers.end()) << status.error_message();
    EXPECT_EQ(std::string(it->second.data(), it->second.size()), field);
  }

  testing::ServeFixture fixture_;
  ModelManager manager_;
  ServerMetrics metrics_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<inference::GRPCInferenceService::Stub> stub_;
};

TEST_F(GrpcServerTest, HealthAndMetadata) {
  grpc::ClientContext c1, c2, c3, c4, c5;
  inference::ServerLiveResponse live;
  ASSERT_TRUE(stub_->ServerLive(&c1, {}, &live).ok());
  EXPECT_TRUE(live.live());
  inference::ServerReadyResponse ready;
  ASSERT_TRUE(stub_->ServerReady(&c2, {}, &ready).ok());
  EXPECT_TRUE(ready.ready());
  inference::ServerMetadataResponse server;
  ASSERT_TRUE(stub_->ServerMetadata(&c3, {}, &server).ok());
  EXPECT_EQ(server.name(), "keel");
  EXPECT_EQ(server.version(), "test");

  inference::ModelReadyRequest ready_request;
  ready_request.set_name("fraud");
  ready_request.set_version("1");
  inference::ModelReadyResponse model_ready;
  ASSERT_TRUE(stub_->ModelReady(&c4, ready_request, &model_ready).ok());
  EXPECT_TRUE(model_ready.ready());

  inference::ModelMetadataRequest metadata_request;
  metadata_request.set_name("fraud");
  inference::ModelMetadataResponse metadata;
  grpc::Status status = stub_->ModelMetadata(&c5, metadata_request, &metadata);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(metadata.name(), "fraud");
  ASSERT_EQ(metadata.versions_size(), 1);
  EXPECT_EQ(metadata.versions(0), "1");
  EXPECT_EQ(metadata.platform(), "keel_gbdt");
  ASSERT_EQ(metadata.inputs_size(), 4);
  EXPECT_EQ(metadata.inputs(0).name(), "amount");
  EXPECT_EQ(metadata.inputs(0).datatype(), "FP64");
  EXPECT_EQ(metadata.inputs(2).name(), "event_time");
  EXPECT_EQ(metadata.inputs(2).datatype(), "BYTES");
  EXPECT_THAT(metadata.inputs(0).shape(), ::testing::ElementsAre(-1));
  ASSERT_EQ(metadata.outputs_size(), 2);
  EXPECT_EQ(metadata.outputs(0).name(), "prediction");
  EXPECT_EQ(metadata.outputs(0).datatype(), "INT64");
  EXPECT_EQ(metadata.outputs(1).name(), "probability");
  EXPECT_EQ(metadata.outputs(1).datatype(), "FP64");

  server_->set_draining(true);
  grpc::ClientContext c6;
  ASSERT_TRUE(stub_->ServerReady(&c6, {}, &ready).ok());
  EXPECT_FALSE(ready.ready());
}

TEST_F(GrpcServerTest, TypedInferGivesTheBundlesNumbersToTheBit) {
  Table rows = testing::Transactions(40, 5);
  ModelInferResponse response;
  grpc::Status status = Infer(FraudRequest(rows, false), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.model_name(), "fraud");
  EXPECT_EQ(response.model_version(), "1");
  EXPECT_EQ(response.id(), "req-1");
  EXPECT_EQ(response.raw_output_contents_size(), 0);
  ASSERT_EQ(response.outputs_size(), 2);
  const auto& prediction = response.outputs(0);
  const auto& probability = response.outputs(1);
  EXPECT_EQ(prediction.name(), "prediction");
  EXPECT_EQ(prediction.datatype(), "INT64");
  EXPECT_EQ(probability.name(), "probability");
  EXPECT_EQ(probability.datatype(), "FP64");
  EXPECT_THAT(probability.shape(), ::testing::ElementsAre(40));
  ASSERT_EQ(probability.contents().fp64_contents_size(), 40);
  ASSERT_EQ(prediction.contents().int64_contents_size(), 40);

  Table reference = Reference(rows);
  auto model = manager_.Get("fraud", "");
  ASSERT_TRUE(model.ok());
  auto batch = (*model)->BatchFromTable(rows);
  ASSERT_TRUE(batch.ok()) << batch.status();
  auto scored = (*model)->Score(*batch);
  ASSERT_TRUE(scored.ok()) << scored.status();
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(Bits(probability.contents().fp64_contents(i)),
              Bits(reference.column(1).Float64Values()[i]))
        << i;
    EXPECT_EQ(Bits(probability.contents().fp64_contents(i)),
              Bits(scored->column(1).Float64Values()[i]))
        << i;
    EXPECT_EQ(prediction.contents().int64_contents(i), reference.column(0).Int64Values()[i]) << i;
  }
}

TEST_F(GrpcServerTest, RawInferAnswersRawWithTheSameBits) {
  Table rows = testing::Transactions(25, 9);
  ModelInferResponse response;
  grpc::Status status = Infer(FraudRequest(rows, true), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.outputs_size(), 2);
  ASSERT_EQ(response.raw_output_contents_size(), 2);
  EXPECT_FALSE(response.outputs(1).has_contents());
  ASSERT_EQ(response.raw_output_contents(1).size(), 25 * sizeof(double));
  ASSERT_EQ(response.raw_output_contents(0).size(), 25 * sizeof(int64_t));
  Table reference = Reference(rows);
  for (size_t i = 0; i < 25; ++i) {
    EXPECT_EQ(Bits(RawAt<double>(response.raw_output_contents(1), i)),
              Bits(reference.column(1).Float64Values()[i]));
    EXPECT_EQ(RawAt<int64_t>(response.raw_output_contents(0), i),
              reference.column(0).Int64Values()[i]);
  }
}

TEST_F(GrpcServerTest, TimestampsAsMicrosecondsAndVersionsByNumber) {
  Table rows = testing::Transactions(5, 2);
  ModelInferRequest request = FraudRequest(rows, false);
  auto* time = request.mutable_inputs(2);
  ASSERT_EQ(time->name(), "event_time");
  time->set_datatype("INT64");
  time->mutable_contents()->clear_bytes_contents();
  for (int64_t r = 0; r < 5; ++r)
    time->mutable_contents()->add_int64_contents(rows.column(2).TimestampValues()[r]);
  request.set_model_version("1");
  ModelInferResponse response;
  grpc::Status status = Infer(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  Table reference = Reference(rows);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Bits(response.outputs(1).contents().fp64_contents(i)),
              Bits(reference.column(1).Float64Values()[i]));
  }
  request.set_model_version("7");
  status = Infer(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
}

TEST_F(GrpcServerTest, MatrixFormAndRequestedOutputs) {
  ModelInferRequest request;
  request.set_model_name("reg");
  auto* t = request.add_inputs();
  t->set_name("input-0");
  t->set_datatype("FP64");
  t->add_shape(2);
  t->add_shape(3);
  for (double v : {0.5, -1.0, 2.0, 1.5, 0.25, -0.75}) t->mutable_contents()->add_fp64_contents(v);
  request.add_outputs()->set_name("prediction");
  ModelInferResponse response;
  grpc::Status status = Infer(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  CsvReadOptions options;
  options.schema_override = {
      {"x0", DataType::kFloat64}, {"x1", DataType::kFloat64}, {"x2", DataType::kFloat64}};
  Table reference =
      Reference(*ReadCsvFromString("x0,x1,x2\n0.5,-1,2\n1.5,0.25,-0.75\n", options), "reg");
  ASSERT_EQ(response.outputs_size(), 1);
  EXPECT_EQ(response.outputs(0).name(), "prediction");
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(Bits(response.outputs(0).contents().fp64_contents(i)),
              Bits(reference.column(0).Float64Values()[i]));
  }
  request.mutable_outputs(0)->set_name("score");
  ExpectInvalid(request, "outputs[0].name", "unknown output 'score'; the model gives: prediction");
}

TEST_F(GrpcServerTest, UnknownModelIsNotFoundNamingTheServedModels) {
  ModelInferRequest request = OneRow();
  request.set_model_name("fruad");
  ModelInferResponse response;
  grpc::Status status = Infer(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("fraud"));
  EXPECT_THAT(status.error_message(), HasSubstr("reg"));
}

TEST_F(GrpcServerTest, BadInputsAreInvalidArgumentNamingTheField) {
  ModelInferRequest r = OneRow();
  r.mutable_inputs(1)->set_datatype("FP64");
  r.mutable_inputs(1)->mutable_contents()->Clear();
  r.mutable_inputs(1)->mutable_contents()->add_fp64_contents(1.5);
  ExpectInvalid(r, "inputs[1] (merchant).datatype", "send BYTES, not FP64");

  r = OneRow();
  r.mutable_inputs(0)->set_datatype("FLOAT");
  ExpectInvalid(r, "inputs[0] (amount).datatype", "unknown datatype 'FLOAT'");

  r = OneRow();
  r.mutable_inputs()->RemoveLast();
  ExpectInvalid(r, "inputs", "input 'n_items' is missing");

  r = OneRow();
  r.mutable_inputs(3)->set_shape(0, 2);
  r.mutable_inputs(3)->mutable_contents()->add_int64_contents(4);
  ExpectInvalid(r, "inputs[3] (n_items).shape",
                "expected [1] or [1, 1] like inputs[0] (amount), got [2]");

  r = OneRow();
  r.mutable_inputs(3)->add_shape(2);
  ExpectInvalid(r, "inputs[3] (n_items).contents.int64_contents",
                "shape [1, 2] needs 2 values, got 1");

  r = OneRow();
  r.mutable_inputs(0)->mutable_contents()->add_fp64_contents(1.0);
  ExpectInvalid(r, "inputs[0] (amount).contents.fp64_contents", "shape [1] needs 1 values, got 2");

  r = OneRow();
  r.mutable_inputs(0)->mutable_contents()->clear_fp64_contents();
  r.mutable_inputs(0)->mutable_contents()->add_fp32_contents(1.0f);
  ExpectInvalid(r, "inputs[0] (amount).contents.fp32_contents",
                "datatype FP64 takes its values in fp64_contents");

  r = OneRow();
  r.mutable_inputs(2)->mutable_contents()->set_bytes_contents(0, "yesterday");
  ExpectInvalid(r, "inputs[2] (event_time).contents.bytes_contents[0]", "yesterday");

  r = OneRow();
  r.mutable_inputs(0)->set_name("amout");
  ExpectInvalid(r, "inputs[0] (amout).name", "unknown input 'amout'");

  r = FraudRequest(testing::Transactions(2, 3), true);
  r.mutable_raw_input_contents(0)->pop_back();
  ExpectInvalid(r, "raw_input_contents[0]", "needs 16 bytes, got 15");

  r = FraudRequest(testing::Transactions(2, 3), true);
  r.mutable_raw_input_contents()->RemoveLast();
  ExpectInvalid(r, "raw_input_contents", "holds 3 entries for 4 inputs");
}

TEST_F(GrpcServerTest, ApiKeyFromMetadata) {
  std::unique_ptr<GrpcServer> secured = StartServer({"s3cret", "other"});
  auto stub = NewStub(secured->port());
  ModelInferResponse response;
  {
    grpc::ClientContext context;
    grpc::Status status = stub->ModelInfer(&context, OneRow(), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_THAT(status.error_message(), HasSubstr("API key"));
  }
  {
    grpc::ClientContext context;
    context.AddMetadata("x-api-key", "wrong");
    EXPECT_EQ(stub->ModelInfer(&context, OneRow(), &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext context;
    context.AddMetadata("x-api-key", "s3cret");
    EXPECT_TRUE(stub->ModelInfer(&context, OneRow(), &response).ok());
  }
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer other");
    EXPECT_TRUE(stub->ModelInfer(&context, OneRow(), &response).ok());
  }
  {
    // Health never needs a key.
    grpc::ClientContext context;
    inference::ServerLiveResponse live;
    EXPECT_TRUE(stub->ServerLive(&context, {}, &live).ok());
  }
  secured->Shutdown();
  secured->Shutdown();  // idempotent
}

TEST_F(GrpcServerTest, RequestsShowInTheMetrics) {
  ModelInferResponse response;
  ASSERT_TRUE(Infer(OneRow(), &response).ok());
  ModelInferRequest bad = OneRow();
  bad.mutable_inputs(1)->set_datatype("INT64");
  EXPECT_FALSE(Infer(bad, &response).ok());
  const std::string text = metrics_.Render(manager_);
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(keel_requests_total{endpoint="grpc_infer",model="fraud",version="1",code="200"} 1)"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(keel_requests_total{endpoint="grpc_infer",model="fraud",version="1",code="400"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(keel_batch_rows_count{model="fraud",version="1"} 1)"));
}

TEST_F(GrpcServerTest, PortInUseIsUnavailable) {
  GrpcServerOptions options{.host = "127.0.0.1", .port = server_->port()};
  auto second = GrpcServer::Start(&manager_, &metrics_, options);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
  options.port = 0;
  options.tls_cert_file = "/nonexistent/cert.pem";
  EXPECT_EQ(GrpcServer::Start(&manager_, &metrics_, options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.tls_key_file = "/nonexistent/key.pem";
  EXPECT_EQ(GrpcServer::Start(&manager_, &metrics_, options).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(GrpcServerTest, ServesTls) {
  keel::testing::TempDir dir;
  const std::string cert = dir.path() + "/cert.pem", key = dir.path() + "/key.pem";
  keel::testing::CommandResult made = keel::testing::RunCommand(
      {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
       "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", cert});
  if (made.exit_code != 0)
    GTEST_SKIP() << "openssl could not make a test certificate: " << made.err;
  GrpcServerOptions options{
      .host = "127.0.0.1", .port = 0, .tls_cert_file = cert, .tls_key_file = key};
  auto server = GrpcServer::Start(&manager_, &metrics_, options);
  ASSERT_TRUE(server.ok()) << server.status();
  std::ifstream in(cert);
  std::stringstream pem;
  pem << in.rdbuf();
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto stub = inference::GRPCInferenceService::NewStub(
      grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                                grpc::SslCredentials({.pem_root_certs = pem.str()}), args));
  grpc::ClientContext context;
  ModelInferResponse response;
  grpc::Status status = stub->ModelInfer(&context, OneRow(), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.outputs_size(), 2);
  // A plaintext client gets no answer from a TLS port.
  grpc::ClientContext plain_context;
  plain_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  EXPECT_FALSE(NewStub((*server)->port())->ModelInfer(&plain_context, OneRow(), &response).ok());
}

// Python's grpcio (Debian python3-grpcio) with stubs protoc generated from
// the same inference.proto: typed and raw requests give the C++ numbers.
TEST_F(GrpcServerTest, PythonGrpcioClientInteroperates) {
  const std::string stubs = KEEL_GRPC_PYTHON_DIR;
  ASSERT_TRUE(keel::testing::HavePythonModule("grpc"))
      << "python3-grpcio is needed (scripts/install-deps.sh installs it)";
  constexpr char kScript[] = R"py(
import json, struct, sys
args = json.load(sys.stdin)
sys.path.insert(0, args["stubs"])
import grpc, inference_pb2 as pb, inference_pb2_grpc as pb_grpc
stub = pb_grpc.GRPCInferenceServiceStub(grpc.insecure_channel("127.0.0.1:%d" % args["port"]))
rows = [0.5, -1.0, 2.0, 1.5, 0.25, -0.75]
typed = pb.ModelInferRequest(model_name="reg", inputs=[pb.ModelInferRequest.InferInputTensor(
    name="x", datatype="FP64", shape=[2, 3], contents=pb.InferTensorContents(fp64_contents=rows))])
raw = pb.ModelInferRequest(model_name="reg", inputs=[pb.ModelInferRequest.InferInputTensor(
    name="x", datatype="FP64", shape=[2, 3])], raw_input_contents=[struct.pack("<6d", *rows)])
bits = lambda v: struct.unpack("<q", struct.pack("<d", v))[0]
a = stub.ModelInfer(typed, timeout=30)
b = stub.ModelInfer(raw, timeout=30)
try:
    stub.ModelInfer(pb.ModelInferRequest(model_name="nope"), timeout=30)
    code = "OK"
except grpc.RpcError as e:
    code = e.code().name
print(json.dumps({"live": stub.ServerLive(pb.ServerLiveRequest(), timeout=30).live,
                  "typed": [bits(v) for v in a.outputs[0].contents.fp64_contents],
                  "raw": [bits(v) for v in struct.unpack("<2d", b.raw_output_contents[0])],
                  "unknown": code}))
)py";
  auto out = keel::testing::RunPythonJson(kScript, {{"port", server_->port()}, {"stubs", stubs}});
  ASSERT_TRUE(out.ok()) << out.status();
  CsvReadOptions options;
  options.schema_override = {
      {"x0", DataType::kFloat64}, {"x1", DataType::kFloat64}, {"x2", DataType::kFloat64}};
  Table reference =
      Reference(*ReadCsvFromString("x0,x1,x2\n0.5,-1,2\n1.5,0.25,-0.75\n", options), "reg");
  EXPECT_TRUE((*out)["live"].get<bool>());
  EXPECT_EQ((*out)["unknown"], "NOT_FOUND");
  for (int i = 0; i < 2; ++i) {
    const int64_t expected = std::bit_cast<int64_t>(reference.column(0).Float64Values()[i]);
    EXPECT_EQ((*out)["typed"][i].get<int64_t>(), expected);
    EXPECT_EQ((*out)["raw"][i].get<int64_t>(), expected);
  }
}

}  // namespace
}  // namespace keel::serve
