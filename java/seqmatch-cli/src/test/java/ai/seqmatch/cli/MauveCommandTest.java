/* `seqmatch mauve` as users run it: text and JSON output, and one-line exit-2 errors for bad feature files. */
package ai.seqmatch.cli;

import static ai.seqmatch.cli.TasksCommandTest.assertBadInput;
import static ai.seqmatch.cli.TasksCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.eval.mauve.Npy;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MauveCommandTest {
  @TempDir Path tmp;

  private Path features(String name, int n, int d, long seed) throws Exception {
    Random rng = new Random(seed);
    double[][] x = new double[n][d];
    for (double[] row : x) {
      for (int j = 0; j < d; j++) {
        row[j] = rng.nextGaussian() + 1;
      }
    }
    Path f = tmp.resolve(name);
    Npy.write(f, x, true);
    return f;
  }

  @Test
  void printsMauveAndFrontierIntegral() throws Exception {
    Path p = features("p.npy", 100, 8, 1);
    TasksCommandTest.Run text = run("mauve", "--p-features", p.toString(), "--q-features", p.toString());
    assertEquals(0, text.code(), text.err());
    assertTrue(text.out().startsWith("mauve: 1.0000\nfrontier_integral: 0.0000\nclusters: 10\npca_dims: "),
        text.out());

    Path q = features("q.npy", 120, 8, 2);
    TasksCommandTest.Run r = run("mauve", "--p-features", p.toString(), "--q-features", q.toString(), "--json",
        "--clusters", "4", "--seed", "7");
    assertEquals(0, r.code(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertEquals(4, j.get("clusters").asInt());
    assertEquals(7, j.get("seed").asInt());
    assertEquals(100, j.get("p_points").asInt());
    double mauve = j.get("mauve").asDouble();
    assertTrue(mauve > 0 && mauve <= 1, r.out());
    assertTrue(j.get("pca_dims").asInt() >= 1 && j.get("pca_dims").asInt() <= 8, r.out());
  }

  @Test
  void badInputsAreOneLineErrors() throws Exception {
    Path p = features("p.npy", 30, 8, 1);
    Path q = features("q.npy", 30, 6, 2);
    assertBadInput(run("mauve", "--p-features", p.toString(), "--q-features", q.toString()), "mauve",
        "feature dimensions differ", p.toString(), q.toString());

    Path text = tmp.resolve("text.npy");
    Files.writeString(text, "hello");
    assertBadInput(run("mauve", "--p-features", text.toString(), "--q-features", p.toString()), "mauve",
        text.toString(), "not a NumPy .npy file");

    Path empty = tmp.resolve("empty.npy");
    Npy.write(empty, new double[0][], true);
    assertBadInput(run("mauve", "--p-features", p.toString(), "--q-features", empty.toString()), "mauve",
        empty.toString(), "empty array");

    Path nan = tmp.resolve("nan.npy");
    Npy.write(nan, new double[][] {{1, Double.NaN}}, false);
    assertBadInput(run("mauve", "--p-features", nan.toString(), "--q-features", p.toString()), "mauve",
        nan.toString(), "non-finite");

    assertBadInput(run("mauve", "--p-features", p.toString(), "--q-features", p.toString(), "--clusters", "1"),
        "mauve", "clusters must be at least 2");
    assertBadInput(run("mauve", "--p-features", p.toString()), "mauve", "--q-features");
  }
}
