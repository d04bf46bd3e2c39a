// "kmeans" against scikit-learn's KMeans(algorithm="lloyd").
#include "keel/learn/linear/kmeans.h"

#include <vector>

#include "gtest/gtest.h"
#include "keel/learn/linear/sklearn_reference.h"

namespace keel::learn {
namespace {

using testing_util::Flatten;
using testing_util::MaxRelDiff;

Params KMeansParams(const std::vector<std::string>& assignments) {
  StatusOr<Params> params =
      ParseParams("kmeans", testing_util::LinearLearner("kmeans").params(), assignments);
  EXPECT_TRUE(params.ok()) << params.status();
  return *params;
}

TEST(KMeansTest, SameStartingCentresGiveSklearnsCentresLabelsAndInertia) {
  if (!testing_util::HaveSklearn()) GTEST_SKIP() << "python3-sklearn is not installed";
  // One shifted Gaussian cloud cut into 5 clusters: Lloyd needs many
  // iterations, so the whole trajectory must agree.
  for (const bool weighted : {false, true}) {
    SCOPED_TRACE(weighted ? "weighted" : "unweighted");
    const Matrix x = testing_util::Gaussian(300, 3, 51, 2.0, 5.0);
    std::vector<double> w;
    if (weighted) {
      for (int64_t r = 0; r < x.rows(); ++r) w.push_back(1.0 + static_cast<double>(r % 3));
    }
    const std::vector<int64_t> first_rows = {0, 1, 2, 3, 4};
    const Matrix init = x.Gather(first_rows);
    TrainData train{.x = x, .weights = w, .task = Task::kClustering};
    StatusOr<std::unique_ptr<KMeansModel>> model =
        FitKMeansFrom(train, KMeansParams({"k=5", "tol=1e-4", "max_iter=300"}), init);
    ASSERT_TRUE(model.ok()) << model.status();
    StatusOr<nlohmann::json> ref = testing_util::SklearnReference(
        {{"model", "kmeans"}, {"k", 5}, {"n_init", 1}, {"tol", 1e-4}, {"max_iter", 300}}, x, {}, w,
        &init);
    ASSERT_TRUE(ref.ok()) << ref.status();

    const double centre_diff = MaxRelDiff((*model)->centres(), Flatten((*ref)["centres"]));
    const double inertia_diff =
        MaxRelDiff(std::vector<double>{(*model)->inertia()}, Flatten((*ref)["inertia"]));
    Matrix labels;
    ASSERT_TRUE((*model)->Predict(x, &labels).ok());
    const std::vector<double> ref_labels = Flatten((*ref)["labels"]);
    int64_t different = 0;
    for (int64_t r = 0; r < x.rows(); ++r) different += labels.at(r, 0) != ref_labels[r];
    std::printf(
        "[ sklearn  ] explicit init (%s): centres max rel diff %.3g, inertia %.3g, labels "
        "differing %lld, iterations %lld vs %d\n",
        weighted ? "weighted" : "unweighted", centre_diff, inertia_diff,
        static_cast<long long>(different), static_cast<long long>((*model)->n_iter()),
        (*ref)["n_iter"].get<int>());
    EXPECT_LE(centre_diff, 1e-9);
    EXPECT_LE(inertia_diff, 1e-9);
    EXPECT_EQ(different, 0);
    EXPECT_EQ((*model)->n_iter(), (*ref)["n_iter"].get<int>());
  }
}

TEST(KMeansTest, KMeansPlusPlusReachesSklearnsInertiaOnBlobs) {
  if (!testing_util::HaveSklearn()) GTEST_SKIP() << "python3-sklearn is not installed";
  const Matrix x = testing_util::Blobs(6, 80, 4, 61);
  TrainData train{.x = x, .task = Task::kClustering};
  std::unique_ptr<Model> model = testing_util::FitOrDie("kmeans", train, {"k=6", "n_init=10"});
  ASSERT_NE(model, nullptr);
  const auto& kmeans = dynamic_cast<const KMeansModel&>(*model);
  StatusOr<nlohmann::json> ref = testing_util::SklearnReference(
      {{"model", "kmeans"}, {"k", 6}, {"n_init", 10}, {"tol", 1e-4}, {"max_iter", 300}}, x);
  ASSERT_TRUE(ref.ok()) << ref.status();
  const double ref_inertia = (*ref)["inertia"].get<double>();
  std::printf("[ sklearn  ] k-means++ n_init=10: inertia %.10g vs sklearn %.10g (ratio %.6f)\n",
              kmeans.inertia(), ref_inertia, kmeans.inertia() / ref_inertia);
  EXPECT_LE(kmeans.inertia(), ref_inertia * 1.01);
}

TEST(KMeansTest, SeedChoosesTheStartsAndIsReproducible) {
  const Matrix x = testing_util::Gaussian(200, 2, 71);
  TrainData train{.x = x, .task = Task::kClustering};
  for (const std::string init : {"k-means++", "random"}) {
    FitOptions a;
    a.seed = 7;
    std::unique_ptr<Model> first =
        testing_util::FitOrDie("kmeans", train, {"k=4", "n_init=1", "init=" + init}, a);
    std::unique_ptr<Model> second =
        testing_util::FitOrDie("kmeans", train, {"k=4", "n_init=1", "init=" + init}, a);
    ASSERT_NE(first, nullptr);
    ASSERT_NE(second, nullptr);
    EXPECT_EQ(*first->Save(), *second->Save()) << init;
  }
}

TEST(KMeansTest, EmptyClusterTakesTheFarthestRow) {
  // Two starting centres on the same spot: one cluster is empty after the
  // first assignment and must be moved, not left behind.
  Matrix x(6, 1);
  const double values[] = {0, 0.1, 0.2, 10, 10.1, 10.2};
  for (int i = 0; i < 6; ++i) x.at(i, 0) = values[i];
  Matrix init(2, 1);
  init.at(0, 0) = 0;
  init.at(1, 0) = 0;
  TrainData train{.x = x, .task = Task::kClustering};
  StatusOr<std::unique_ptr<KMeansModel>> model = FitKMeansFrom(train, KMeansParams({"k=2"}), init);
  ASSERT_TRUE(model.ok()) << model.status();
  std::vector<double> centres((*model)->centres().begin(), (*model)->centres().end());
  std::sort(centres.begin(), centres.end());
  EXPECT_NEAR(centres[0], 0.1, 1e-12);
  EXPECT_NEAR(centres[1], 10.1, 1e-12);
}

}  // namespace
}  // namespace keel::learn
