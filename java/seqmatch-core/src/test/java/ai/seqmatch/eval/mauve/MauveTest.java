package ai.seqmatch.eval.mauve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.InvalidInputException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MauveTest {
  private static final Path PYTHON = Path.of("/usr/bin/python3");

  @TempDir Path dir;

  /** n points in d dimensions from N(mean·e_0 + offset, I): a shift along the first axis separates P from Q. */
  static double[][] gaussians(int n, int d, double shift, double offset, long seed) {
    Random rng = new Random(seed);
    double[][] x = new double[n][d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        x[i][j] = rng.nextGaussian() + offset + (j == 0 ? shift : 0);
      }
    }
    return x;
  }

  @Test
  void identicalFeatureSetsScoreOne() {
    double[][] q = gaussians(300, 16, 0, 0, 1);
    Mauve.Result r = Mauve.compute(q, q, Mauve.DEFAULT_SEED);
    assertTrue(r.mauve() > 0.99, "MAUVE " + r.mauve());
    assertEquals(0, r.frontierIntegral(), 1e-9);
    assertEquals(30, r.clusters());
  }

  @Test
  void farApartFeatureSetsScoreNearZero() {
    // After l2 normalisation only directions matter: opposite means give disjoint clusters.
    double[][] p = gaussians(300, 16, 0, 10, 2);
    double[][] q = gaussians(300, 16, 0, -10, 3);
    Mauve.Result r = Mauve.compute(p, q, Mauve.DEFAULT_SEED);
    assertTrue(r.mauve() < 0.05, "MAUVE " + r.mauve());
    // Disjoint histograms: the frontier integral's maximum, 2 · Σ (p+q)/4 = 1.
    assertEquals(1, r.frontierIntegral(), 1e-9);
  }

  /** Disjoint histograms have the closed-form curve ((1-λ)^c, λ^c), checked point by point. */
  @Test
  void divergenceCurveMatchesClosedFormForDisjointHistograms() {
    double[] p = {0.5, 0.5, 0, 0};
    double[] q = {0, 0, 0.25, 0.75};
    double[][] curve = DivergenceFrontier.curve(p, q, 25, 5);
    assertEquals(27, curve.length);
    for (int w = 0; w < 25; w++) {
      double lambda = 1e-6 + (1 - 2e-6) * w / 24.0;
      assertEquals(Math.pow(1 - lambda, 5), curve[w + 1][0], 1e-12);
      assertEquals(Math.pow(lambda, 5), curve[w + 1][1], 1e-12);
    }
  }

  @Test
  void mismatchedDimensionsAndBadClusterCountsAreErrors() {
    double[][] p = gaussians(20, 4, 0, 0, 4);
    double[][] q = gaussians(20, 5, 0, 0, 5);
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> Mauve.compute(p, q, 1));
    assertTrue(e.getMessage().contains("P has 4 features per point but Q has 5"), e.getMessage());
    assertThrows(InvalidInputException.class, () -> Mauve.compute(p, p, 1, 1));
    assertThrows(InvalidInputException.class, () -> Mauve.compute(p, p, 41, 1));
  }

  /**
   * Agreement within 0.05 with an independent sklearn implementation (test resource mauve_reference.py) on the
   * same .npy files: overlapping Gaussians with growing shifts, from near 1 to near 0. The two k-means
   * implementations find different local optima, hence a tolerance rather than equality.
   */
  @Test
  void agreesWithSklearnReference() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(PYTHON), "skipped: /usr/bin/python3 absent");
    Assumptions.assumeTrue(run(PYTHON.toString(), "-c", "import numpy, sklearn").exitCode == 0,
        "skipped: python3-numpy / python3-sklearn absent (scripts/setup.sh installs them)");
    Path script = dir.resolve("mauve_reference.py");
    try (InputStream in = MauveTest.class.getResourceAsStream("mauve_reference.py")) {
      Files.copy(in, script);
    }
    double[] shifts = {0, 0.5, 1, 2, 4};
    double maxGap = 0;
    double maxFiGap = 0;
    StringBuilder report = new StringBuilder();
    for (int k = 0; k < shifts.length; k++) {
      double[][] p = gaussians(400, 24, shifts[k], 1, 100 + k);
      double[][] q = gaussians(400, 24, 0, 1, 200 + k);
      Path pf = dir.resolve("p" + k + ".npy");
      Path qf = dir.resolve("q" + k + ".npy");
      Npy.write(pf, p, true);
      Npy.write(qf, q, true);
      Mauve.Result ours = Mauve.compute(Npy.read(pf), Npy.read(qf), Mauve.DEFAULT_SEED);
      Proc ref = run(PYTHON.toString(), script.toString(), pf.toString(), qf.toString(),
          Integer.toString(ours.clusters()), Long.toString(Mauve.DEFAULT_SEED));
      assertEquals(0, ref.exitCode, ref.output);
      JsonNode node = new ObjectMapper().readTree(ref.output);
      double gap = Math.abs(ours.mauve() - node.get("mauve").asDouble());
      maxGap = Math.max(maxGap, gap);
      maxFiGap = Math.max(maxFiGap, Math.abs(ours.frontierIntegral() - node.get("frontier_integral").asDouble()));
      report.append(String.format("shift %.1f: java %.4f (pca %d, fi %.4f) sklearn %.4f (pca %d, fi %.4f)%n",
          shifts[k], ours.mauve(), ours.pcaDims(), ours.frontierIntegral(), node.get("mauve").asDouble(),
          node.get("pca_dims").asInt(), node.get("frontier_integral").asDouble()));
      assertEquals(node.get("pca_dims").asInt(), ours.pcaDims(), report.toString());
    }
    System.out.print(report);
    assertTrue(maxGap < 0.05, "max |MAUVE gap| " + maxGap + "\n" + report);
    assertTrue(maxFiGap < 0.05, "max |frontier integral gap| " + maxFiGap + "\n" + report);
  }

  private record Proc(int exitCode, String output) {}

  private static Proc run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IOException("timed out: " + String.join(" ", command));
    }
    return new Proc(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }
}
