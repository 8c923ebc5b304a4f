/*
 * External tools in the front ends' tests (node, npm, curl): whether one is installed, and running one
 * with a timeout, failing the test with its output when it fails or hangs.
 */
package ai.seqmatch.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

public final class TestProcesses {
  private TestProcesses() {}

  /** Runs {@code cmd} in {@code dir}; returns its stdout and stderr; fails the test unless it exits 0 in time. */
  public static String run(Path dir, int timeoutSeconds, String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    boolean ended = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
    if (!ended) {
      p.destroyForcibly();
    }
    String text = new String(out, StandardCharsets.UTF_8);
    assertTrue(ended, String.join(" ", cmd) + " timed out: " + text);
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed: " + text);
    return text;
  }

  /** Whether an executable {@code tool} is on the PATH. */
  public static boolean onPath(String tool) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String d : path.split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return false;
  }
}
