package io.moonshard.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throw-away PKI made at test time with the JDK's {@code keytool} (nothing committed, no extra
 * dependency): a CA, a server certificate for {@code 127.0.0.1}/{@code localhost} and a client
 * certificate, both signed by the CA, written as PEM files (keys as unencrypted PKCS#8), plus JSSE
 * socket factories for clients.
 *
 * @param caCert     the CA certificate, PEM
 * @param serverCert the server certificate, PEM
 * @param serverKey  its private key, PEM PKCS#8
 * @param clientCert the client certificate, PEM
 * @param clientKey  its private key, PEM PKCS#8
 * @param rogueCert  a client certificate from another CA (self-signed), PEM
 * @param rogueKey   its private key, PEM PKCS#8
 */
record TestCertificates(Path caCert, Path serverCert, Path serverKey, Path clientCert, Path clientKey,
                        Path rogueCert, Path rogueKey) {

    private static final String PASS = "changeit";

    static TestCertificates create(Path dir) {
        try {
            Path ca = dir.resolve("ca.p12");
            keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
                    "-dname", "CN=Moonshard Test CA", "-ext", "bc:c", "-validity", "2",
                    "-keystore", ca.toString());
            Path caPem = dir.resolve("ca.pem");
            keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-file", caPem.toString());

            Path[] server = signed(dir, "server", ca, "CN=127.0.0.1", "SAN=ip:127.0.0.1,dns:localhost",
                    "EKU=serverAuth");
            Path[] client = signed(dir, "client", ca, "CN=moonshard-test-client", null, "EKU=clientAuth");

            Path rogue = dir.resolve("rogue.p12");
            keytool("-genkeypair", "-alias", "rogue", "-keyalg", "EC", "-groupname", "secp256r1",
                    "-dname", "CN=rogue", "-validity", "2", "-keystore", rogue.toString());
            Path roguePem = dir.resolve("rogue.pem");
            keytool("-exportcert", "-rfc", "-alias", "rogue", "-keystore", rogue.toString(),
                    "-file", roguePem.toString());
            Path rogueKey = dir.resolve("rogue.key");
            writeKey(rogue, "rogue", rogueKey);
            return new TestCertificates(caPem, server[0], server[1], client[0], client[1], roguePem, rogueKey);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A key pair in {@code <name>.p12}, its certificate signed by the CA: {cert PEM, key PEM}. */
    private static Path[] signed(Path dir, String name, Path ca, String dname, String san, String eku)
            throws IOException, GeneralSecurityException {
        Path store = dir.resolve(name + ".p12");
        keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", dname,
                "-validity", "2", "-keystore", store.toString());
        Path csr = dir.resolve(name + ".csr");
        keytool("-certreq", "-alias", name, "-keystore", store.toString(), "-file", csr.toString());
        Path pem = dir.resolve(name + ".pem");
        List<String> gencert = new ArrayList<>(List.of("-gencert", "-alias", "ca", "-keystore", ca.toString(),
                "-infile", csr.toString(), "-outfile", pem.toString(), "-rfc", "-validity", "2", "-ext", eku));
        if (san != null) {
            gencert.add("-ext");
            gencert.add(san);
        }
        keytool(gencert.toArray(String[]::new));
        Path key = dir.resolve(name + ".key");
        writeKey(store, name, key);
        return new Path[] {pem, key};
    }

    private static void writeKey(Path store, String alias, Path out) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASS.toCharArray());
        }
        PrivateKey key = (PrivateKey) ks.getKey(alias, PASS.toCharArray());
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded());
        Files.writeString(out, "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----\n");
    }

    private static void keytool(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        command.addAll(List.of("-storetype", "PKCS12", "-storepass", PASS, "-noprompt"));
        if (args[0].equals("-genkeypair")) {
            command.addAll(List.of("-keypass", PASS));
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("keytool " + String.join(" ", args) + " failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Trusts the test CA; presents {@code cert}/{@code key} when both are given. */
    SSLSocketFactory socketFactory(Path cert, Path key) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(cert == null ? null : keyManagers(cert, key).getKeyManagers(),
                    trustManagers().getTrustManagers(), null);
            return context.getSocketFactory();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Trusts the test CA only. */
    SSLSocketFactory socketFactory() {
        return socketFactory(null, null);
    }

    TrustManagerFactory trustManagers() throws GeneralSecurityException, IOException {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("ca", readCert(caCert));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        return tmf;
    }

    private static KeyManagerFactory keyManagers(Path cert, Path key) throws GeneralSecurityException, IOException {
        String pem = Files.readString(key).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        PrivateKey privateKey = java.security.KeyFactory.getInstance("EC")
                .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("client", privateKey, PASS.toCharArray(), new Certificate[] {readCert(cert)});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASS.toCharArray());
        return kmf;
    }

    private static Certificate readCert(Path pem) throws GeneralSecurityException, IOException {
        try (InputStream in = Files.newInputStream(pem)) {
            return CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }
}
