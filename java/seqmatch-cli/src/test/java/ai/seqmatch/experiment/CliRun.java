/* Runs `seqmatch` commands in-process with captured out/err (System.out untouched), for experiment tests. */
package ai.seqmatch.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.chart.Chart;
import ai.seqmatch.cli.SeqMatchCli;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import picocli.CommandLine;

record CliRun(int code, String out, String err) {
  static CliRun of(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = SeqMatchCli.newCommandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new CliRun(code, out.toString(), err.toString());
  }

  /** Exit 2, a one-line reason naming the command, then the help hint. */
  void assertUsageError(String command, String reasonPart) {
    assertEquals(2, code, err);
    String[] lines = err.strip().split("\n");
    assertEquals(2, lines.length, err);
    assertTrue(lines[0].startsWith(command + ": ") && lines[0].contains(reasonPart), lines[0]);
    assertEquals("Try '" + command + " --help'", lines[1]);
  }

  /** Decodes a PNG and checks it is a chart-sized image. */
  static void assertPng(Path png) throws IOException {
    BufferedImage img = ImageIO.read(png.toFile());
    assertTrue(img != null, "not a PNG: " + png);
    assertEquals(Chart.WIDTH, img.getWidth());
    assertEquals(Chart.HEIGHT, img.getHeight());
  }
}
