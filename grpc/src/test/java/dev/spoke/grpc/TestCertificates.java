package dev.spoke.grpc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Self-signed certificates for loopback, made when a test runs (nothing secret is committed): the JDK's
 * keytool makes a key pair valid for 127.0.0.1 and localhost, and this writes it out as the PEM files
 * gRPC-java reads.
 */
final class TestCertificates {

  /** A certificate ({@code name.crt.pem}) and its PKCS#8 private key ({@code name.key.pem}). */
  static final class Identity {
    final Path certificate;
    final Path key;

    Identity(Path certificate, Path key) {
      this.certificate = certificate;
      this.key = key;
    }
  }

  private TestCertificates() {}

  /** A new self-signed identity named {@code name}, for 127.0.0.1 and localhost, valid for two days. */
  static Identity create(Path dir, String name) throws IOException, InterruptedException, GeneralSecurityException {
    Path store = dir.resolve(name + ".p12");
    char[] password = "test-only".toCharArray();
    Process keytool = new ProcessBuilder(List.of(
        Paths.get(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name,
        "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
        "-keystore", store.toString(), "-storepass", new String(password), "-keypass", new String(password)))
        .redirectErrorStream(true).start();
    String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
      throw new IOException("keytool could not make a key pair for " + name + ": " + output);
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, password);
    }
    PrivateKey key = (PrivateKey) ks.getKey(name, password);
    Certificate certificate = ks.getCertificate(name);
    Identity id = new Identity(dir.resolve(name + ".crt.pem"), dir.resolve(name + ".key.pem"));
    Files.writeString(id.certificate, pem("CERTIFICATE", certificate.getEncoded()));
    Files.writeString(id.key, pem("PRIVATE KEY", key.getEncoded())); // PKCS#8
    return id;
  }

  /** One PEM file holding the certificates of {@code identities}: what a side trusts. */
  static Path bundle(Path file, Identity... identities) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (Identity i : identities) {
      sb.append(Files.readString(i.certificate));
    }
    Files.writeString(file, sb);
    return file;
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
