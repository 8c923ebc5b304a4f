/*
 * `seqmatch mauve --p-features P.npy --q-features Q.npy`: MAUVE (Pillutla et al. 2021, mauve-text's defaults) and
 * the frontier integral between two precomputed feature matrices. Bad files are one-line errors, exit 2.
 */
package ai.seqmatch.cli;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.eval.mauve.Mauve;
import ai.seqmatch.eval.mauve.Npy;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "mauve", mixinStandardHelpOptions = true,
    description = {"MAUVE and the frontier integral between model features P and reference features Q.",
        "Inputs are NumPy .npy float32/float64 matrices (points x features, same feature count), e.g. the last "
            + "token's final hidden state of each text. Defaults follow the mauve-text package: l2-normalise, PCA "
            + "to 90% explained variance, k-means (5 restarts, 500 iterations), 25 mixture weights, scaling 5."})
final class MauveCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--p-features", required = true, paramLabel = "P.npy", description = "Features of the model's text.")
  Path pFeatures;

  @Option(names = "--q-features", required = true, paramLabel = "Q.npy", description = "Features of the reference text.")
  Path qFeatures;

  @Option(names = "--clusters", paramLabel = "K",
      description = "k-means clusters (default: max(2, round(min(|P|, |Q|) / 10)), as mauve-text).")
  Integer clusters;

  @Option(names = "--seed", defaultValue = "25", description = "k-means seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--json", description = "Print one JSON object instead of text.")
  boolean json;

  @Override
  public Integer call() {
    double[][] p = Npy.read(pFeatures);
    double[][] q = Npy.read(qFeatures);
    if (p[0].length != q[0].length) {
      throw new InvalidInputException("feature dimensions differ: " + pFeatures + " has " + p[0].length
          + " per point, " + qFeatures + " has " + q[0].length);
    }
    int k = clusters == null ? Mauve.defaultClusters(p.length, q.length) : clusters;
    Mauve.Result r = Mauve.compute(p, q, k, seed);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      ObjectNode node = new ObjectMapper().createObjectNode();
      node.put("mauve", r.mauve());
      node.put("frontier_integral", r.frontierIntegral());
      node.put("clusters", r.clusters());
      node.put("pca_dims", r.pcaDims());
      node.put("p_points", p.length);
      node.put("q_points", q.length);
      node.put("seed", seed);
      out.println(node);
    } else {
      out.printf("mauve: %.4f%n", r.mauve());
      out.printf("frontier_integral: %.4f%n", r.frontierIntegral());
      out.println("clusters: " + r.clusters());
      out.println("pca_dims: " + r.pcaDims());
      out.println("points: P " + p.length + ", Q " + q.length);
    }
    out.flush();
    return 0;
  }
}
