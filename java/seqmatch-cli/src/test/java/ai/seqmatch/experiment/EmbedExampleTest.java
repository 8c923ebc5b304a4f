/*
 * Compiles examples/java/EmbedExample.java against the test classpath and runs its main, so the example
 * in the repository keeps working. Run: mvn -B verify -Dseqmatch.native.skip -pl java/seqmatch-cli
 * -Dtest='EmbedExampleTest*'
 */
package ai.seqmatch.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbedExampleTest {
  @TempDir Path tmp;

  @Test
  void exampleCompilesAndRuns() throws Exception {
    Path source = Path.of("../../examples/java/EmbedExample.java").toAbsolutePath().normalize();
    assertTrue(Files.isRegularFile(source), "missing " + source);
    Path classes = Files.createDirectories(tmp.resolve("classes"));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
    int rc = javac.run(null, diagnostics, diagnostics, "-d", classes.toString(), "-classpath",
        System.getProperty("java.class.path"), source.toString());
    assertEquals(0, rc, diagnostics.toString());
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
        getClass().getClassLoader())) {
      Method main = loader.loadClass("EmbedExample").getMethod("main", String[].class);
      main.invoke(null, (Object) new String[] {tmp.resolve("work").toString()});
    }
    assertTrue(Files.isRegularFile(tmp.resolve("work/run/final/model.safetensors")));
    assertTrue(Files.isRegularFile(tmp.resolve("work/onnx/model.onnx")));
  }
}
