/*
 * TLS over loopback Netty: a self-signed certificate made at test time with the JDK's keytool (always
 * present with a JDK), its key exported to PEM PKCS#8 from the PKCS12 store; the client trusts the cert.
 * A plaintext client against the TLS port fails with UNAVAILABLE. A key that is not the certificate's,
 * garbage, PKCS#1 and missing files are refused when the server is built (issue 14: a mismatched pair
 * used to start, then fail every handshake silently), with one line naming the files.
 */
package ai.seqmatch.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.InvalidInputException;
import ai.seqmatch.grpc.v1.GenerateRequest;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.serving.TestCertificates;
import ai.seqmatch.serving.TestModels;
import ai.seqmatch.serving.engine.RecomputeStepEngine;
import ai.seqmatch.tokenize.ByteTokenizer;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TlsTest {
  @Test
  void tlsRoundTrip() throws Exception {
    Path dir = Files.createTempDirectory(TestModels.workDir(), "tls-");
    Path[] pem = TestCertificates.selfSigned(dir);
    try (CausalLM model = CausalLM.load(TestModels.checkpoint(), Device.cpu());
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

  @Test
  void aKeyThatIsNotTheCertificatesIsRefusedAtStartUp() throws Exception {
    Path[] a = TestCertificates.selfSigned(Files.createTempDirectory(TestModels.workDir(), "tls-a-"));
    Path[] b = TestCertificates.selfSigned(Files.createTempDirectory(TestModels.workDir(), "tls-b-"));
    InvalidInputException ex = assertThrows(InvalidInputException.class,
        () -> NettyTransport.server("127.0.0.1", 0, a[0], b[1], 10));
    assertTrue(ex.getMessage().contains("does not match") && ex.getMessage().contains(a[0].toString())
        && ex.getMessage().contains(b[1].toString()), ex.getMessage());
    assertEquals(1, ex.getMessage().lines().count());

    Path ec = a[0].resolveSibling("ec-key.pem"); // a valid PKCS#8 key of another algorithm
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    Files.writeString(ec, TestCertificates.pem("PRIVATE KEY", g.generateKeyPair().getPrivate().getEncoded()));
    ex = assertThrows(InvalidInputException.class, () -> NettyTransport.server("127.0.0.1", 0, a[0], ec, 10));
    assertTrue(ex.getMessage().contains("is not a RSA private key"), ex.getMessage());
  }

  @Test
  void unreadableOrGarbageFilesAreRefusedNamingTheFile() throws Exception {
    Path[] ok = TestCertificates.selfSigned(Files.createTempDirectory(TestModels.workDir(), "tls-c-"));
    Path dir = ok[0].getParent();
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate\n");
    Path pkcs1 = Files.writeString(dir.resolve("rsa.pem"), "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n"
        + "-----END RSA PRIVATE KEY-----\n");
    Path missing = dir.resolve("missing.pem");
    Map<String, Path[]> cases = Map.of(
        "--tls-cert " + garbage + " is not a PEM certificate chain", new Path[] {garbage, ok[1]},
        "--tls-key " + garbage + " is not a PEM PKCS#8 private key", new Path[] {ok[0], garbage},
        "a PKCS#1 / SEC1 key", new Path[] {ok[0], pkcs1},
        "--tls-cert " + missing + ": cannot read it (no such file)", new Path[] {missing, ok[1]},
        "--tls-key " + dir + ": cannot read it", new Path[] {ok[0], dir});
    for (Map.Entry<String, Path[]> c : cases.entrySet()) {
      InvalidInputException ex = assertThrows(InvalidInputException.class,
          () -> NettyTransport.server("127.0.0.1", 0, c.getValue()[0], c.getValue()[1], 10));
      assertTrue(ex.getMessage().contains(c.getKey()), "expected '" + c.getKey() + "' in: " + ex.getMessage());
      assertEquals(1, ex.getMessage().lines().count(), ex.getMessage());
    }
  }

  /** Returns {cert.pem, key.pem} for CN=localhost with SANs 127.0.0.1 and localhost. */
}
