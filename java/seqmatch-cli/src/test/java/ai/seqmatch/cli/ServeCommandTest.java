/*
 * `seqmatch serve` refuses bad start-up input with exit 2 and one line before loading any model: a TLS key
 * that is not the certificate's (issue 14: it used to start and fail every handshake silently), garbage
 * TLS files, and bad connection/timeout flags (all reported together). Also: SLF4J is bound, so no
 * "SLF4J: No providers" lines precede errors.
 */
package ai.seqmatch.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class ServeCommandTest {
  private static final String SERVE = "seqmatch serve";

  @TempDir Path tmp;

  @Test
  void aTlsKeyThatIsNotTheCertificatesExits2() throws Exception {
    Path cert = tmp.resolve("cert.pem");
    Path store = tmp.resolve("server.p12");
    keytool("-genkeypair", "-alias", "s", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2", "-dname",
        "CN=localhost", "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", "changeit");
    keytool("-exportcert", "-rfc", "-alias", "s", "-keystore", store.toString(), "-storepass", "changeit", "-file",
        cert.toString());
    Path otherKey = tmp.resolve("other-key.pem"); // a valid RSA PKCS#8 key, not the certificate's
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    Files.writeString(otherKey, "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(
        g.generateKeyPair().getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n");
    Path noModel = tmp.resolve("no-such-checkpoint"); // TLS is checked before the model loads
    TrainFixtures.cli("serve", "--checkpoint", noModel.toString(), "--port", "0", "--tls-cert", cert.toString(),
        "--tls-key", otherKey.toString())
        .assertBadInput(SERVE, "does not match", cert.toString(), otherKey.toString());
    Path garbage = Files.writeString(tmp.resolve("garbage.pem"), "hello\n");
    TrainFixtures.cli("serve", "--checkpoint", noModel.toString(), "--port", "0", "--tls-cert", garbage.toString(),
        "--tls-key", otherKey.toString())
        .assertBadInput(SERVE, "--tls-cert " + garbage, "is not a PEM certificate chain");
  }

  @Test
  void badConnectionFlagsAreReportedTogether() {
    TrainFixtures.cli("serve", "--checkpoint", tmp.toString(), "--max-connections", "0", "--idle-timeout", "-1",
        "--handshake-timeout", "0", "--stalled-stream-timeout", "NaN", "--threads", "-2", "--max-batch", "100000")
        .assertBadInput(SERVE, "--max-connections must be >= 1 (got 0)",
            "--idle-timeout must be 0 (off) or a number of seconds",
            "--handshake-timeout must be a number of seconds in (0, 1e9] (got 0.0)", "--stalled-stream-timeout",
            "--threads must be >= 0", "--max-batch must be in 1..4096 (got 100000)");
  }

  @Test
  void badHttpFlagsExit2() {
    TrainFixtures.cli("serve", "--checkpoint", tmp.toString(), "--http-port", "70000", "--served-model-name", " ")
        .assertBadInput(SERVE, "--http-port must be in 0..65535 (got 70000)", "--served-model-name must not be blank");
    TrainFixtures.cli("serve", "--checkpoint", tmp.toString(), "--no-grpc")
        .assertBadInput(SERVE, "--no-grpc needs --http-port");
  }

  @Test
  void slf4jIsBoundToJavaUtilLogging() {
    assertTrue(LoggerFactory.getILoggerFactory().getClass().getName().startsWith("org.slf4j.jul."),
        LoggerFactory.getILoggerFactory().getClass().getName());
  }

  private static void keytool(String... args) throws Exception {
    String[] cmd = new String[args.length + 1];
    cmd[0] = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    System.arraycopy(args, 0, cmd, 1, args.length);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool failed: " + out);
  }
}
