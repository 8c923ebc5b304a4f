/*
 * Start-up check of a TLS certificate chain and private key (`seqmatch serve --tls-cert/--tls-key`):
 * both are readable PEM, the chain parses, the key is PKCS#8 of the certificate's algorithm, and it is the
 * certificate's key (a signature made with it verifies with the leaf's public key). Netty accepts a
 * mismatched pair, after which every handshake fails and nothing is logged; this turns that into one
 * line naming the files (exit 2 in the CLI). Tested by TlsTest.
 */
package ai.seqmatch.serving;

import ai.seqmatch.InvalidInputException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public final class TlsFiles {
  /** PEM files larger than this are not certificates or keys (and are not read whole). */
  static final long MAX_PEM_BYTES = 1 << 20;
  private static final Pattern PKCS8 = Pattern.compile(
      "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");
  /** Signature algorithm per key algorithm, for the match test; others are left to the handshake. */
  private static final Map<String, String> SIGNATURE = Map.of("RSA", "SHA256withRSA", "EC", "SHA256withECDSA",
      "DSA", "SHA256withDSA", "EdDSA", "EdDSA", "Ed25519", "Ed25519", "Ed448", "Ed448");

  private TlsFiles() {}

  /**
   * The TLS flags of a server: false for neither (plaintext), true for both after {@link #check}; one
   * without the other is bad input.
   */
  public static boolean checkPair(Path certChain, Path key) {
    if ((certChain == null) != (key == null)) {
      throw new InvalidInputException("tls: give both --tls-cert and --tls-key (got only "
          + (certChain == null ? "--tls-key" : "--tls-cert") + ")");
    }
    if (certChain == null) {
      return false;
    }
    check(certChain, key);
    return true;
  }

  /** Throws InvalidInputException (one line naming the file) unless {@code key} is the chain's key. */
  public static void check(Path certChain, Path key) {
    X509Certificate leaf = leaf(certChain);
    PrivateKey privateKey = privateKey(key, leaf.getPublicKey().getAlgorithm(), certChain);
    String algorithm = SIGNATURE.get(privateKey.getAlgorithm());
    if (algorithm != null && !signs(privateKey, leaf.getPublicKey(), algorithm)) {
      throw new InvalidInputException("tls: --tls-key " + key + " does not match the certificate in --tls-cert "
          + certChain + " (a signature made with the key does not verify with the certificate's public key). "
          + "Hint: give the key the certificate was issued for");
    }
  }

  private static X509Certificate leaf(Path certChain) {
    byte[] pem = read(certChain, "--tls-cert");
    try {
      ArrayList<? extends Certificate> chain = new ArrayList<>(CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem)));
      if (chain.isEmpty() || !(chain.get(0) instanceof X509Certificate leaf)) {
        throw new CertificateException("no X.509 certificate in it");
      }
      return leaf;
    } catch (CertificateException | RuntimeException e) {
      throw new InvalidInputException("tls: --tls-cert " + certChain + " is not a PEM certificate chain ("
          + Scheduler.describe(e) + ")");
    }
  }

  private static PrivateKey privateKey(Path key, String algorithm, Path certChain) {
    String pem = new String(read(key, "--tls-key"), StandardCharsets.US_ASCII);
    Matcher m = PKCS8.matcher(pem);
    if (!m.find()) {
      String hint = pem.contains("ENCRYPTED PRIVATE KEY") ? "an encrypted key; give an unencrypted PKCS#8 key"
          : pem.contains(" PRIVATE KEY-----") ? "a PKCS#1 / SEC1 key; PEM PKCS#8 ('BEGIN PRIVATE KEY') is needed"
          : "no '-----BEGIN PRIVATE KEY-----' block in it";
      throw new InvalidInputException("tls: --tls-key " + key + " is not a PEM PKCS#8 private key (" + hint
          + "). Hint: openssl pkcs8 -topk8 -nocrypt -in " + key + " -out key.pem");
    }
    try {
      byte[] der = Base64.getMimeDecoder().decode(m.group(1));
      return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new InvalidInputException("tls: --tls-key " + key + " is not a " + algorithm + " private key, which "
          + "the certificate in --tls-cert " + certChain + " needs (" + Scheduler.describe(e) + ")");
    }
  }

  private static boolean signs(PrivateKey key, PublicKey publicKey, String algorithm) {
    try {
      byte[] data = new byte[32];
      new SecureRandom().nextBytes(data);
      Signature s = Signature.getInstance(algorithm);
      s.initSign(key);
      s.update(data);
      byte[] signature = s.sign();
      Signature v = Signature.getInstance(algorithm);
      v.initVerify(publicKey);
      v.update(data);
      return v.verify(signature);
    } catch (GeneralSecurityException | RuntimeException e) { // e.g. an EC key on another curve
      return false;
    }
  }

  private static byte[] read(Path p, String flag) {
    try {
      if (!Files.isRegularFile(p)) {
        throw new IOException("no such file");
      }
      if (Files.size(p) > MAX_PEM_BYTES) {
        throw new IOException("larger than " + MAX_PEM_BYTES + " bytes, not a PEM file");
      }
      return Files.readAllBytes(p);
    } catch (IOException e) {
      String why = e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.getMessage();
      throw new InvalidInputException("tls: " + flag + " " + p + ": cannot read it (" + why + ")");
    }
  }
}
