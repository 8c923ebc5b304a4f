/*
 * TLS over loopback Netty: a self-signed certificate made at test time with the JDK's keytool (always
 * present with a JDK), its key exported to PEM PKCS#8 from the PKCS12 store; the client trusts the cert.
 * A plaintext client against the TLS port fails with UNAVAILABLE.
 */
package ai.seqmatch.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.grpc.engine.RecomputeStepEngine;
import ai.seqmatch.grpc.v1.GenerateRequest;
import ai.seqmatch.model.Gpt2Model;
import ai.seqmatch.tokenize.ByteTokenizer;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TlsTest {
  @Test
  void tlsRoundTrip() throws Exception {
    Path dir = Files.createTempDirectory(TestModels.workDir(), "tls-");
    Path[] pem = selfSigned(dir);
    try (Gpt2Model model = Gpt2Model.load(TestModels.checkpoint(), Device.cpu());
        RecomputeStepEngine engine = new RecomputeStepEngine(model)) {
      SeqMatchServer server = SeqMatchServer.builder(NettyTransport.server("127.0.0.1", 0, pem[0], pem[1], 10),
          engine).optTokenizer(new ByteTokenizer()).build().start();
      ManagedChannel tls = NettyTransport.channel("127.0.0.1:" + server.port(), pem[0]);
      ManagedChannel plain = NettyTransport.channel("127.0.0.1:" + server.port(), null);
      try {
        GenerateRequest req = GenerateRequest.newBuilder().setText("Hi").setGreedy(true).setMaxNewTokens(6)
            .setAllowBackspace(false).build();
        StreamText s = new SeqMatchClient(tls, null).stream(req, Duration.ofSeconds(30), null);
        assertEquals(new SeqMatchClient(tls, null).generate(req, Duration.ofSeconds(30)).getText(), s.text());
        assertTrue(s.ids().size() > 0);
        StatusRuntimeException ex = assertThrows(StatusRuntimeException.class,
            () -> new SeqMatchClient(plain, null).generate(req, Duration.ofSeconds(10)));
        assertEquals(Status.Code.UNAVAILABLE, ex.getStatus().getCode());
      } finally {
        tls.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdown(Duration.ofSeconds(2));
      }
    }
  }

  /** Returns {cert.pem, key.pem} for CN=localhost with SANs 127.0.0.1 and localhost. */
  static Path[] selfSigned(Path dir) throws Exception {
    Path store = dir.resolve("server.p12");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "seqmatch", "-keyalg", "RSA", "-keysize",
        "2048", "-validity", "2", "-dname", "CN=localhost", "-ext", "san=ip:127.0.0.1,dns:localhost",
        "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", "changeit", "-keypass", "changeit")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool failed: " + out);
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, "changeit".toCharArray());
    }
    PrivateKey key = (PrivateKey) ks.getKey("seqmatch", "changeit".toCharArray());
    Certificate cert = ks.getCertificate("seqmatch");
    Path certPem = dir.resolve("cert.pem");
    Path keyPem = dir.resolve("key.pem");
    Files.writeString(certPem, pem("CERTIFICATE", cert.getEncoded()));
    Files.writeString(keyPem, pem("PRIVATE KEY", key.getEncoded())); // PKCS#8
    return new Path[] {certPem, keyPem};
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
