package io.moonshard.server;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The Moonshard version, from {@code moonshard-version.properties} (filled in by the build). */
final class Version {

    private static final String VERSION = load();

    private Version() {
    }

    static String current() {
        return VERSION;
    }

    private static String load() {
        try (InputStream in = Version.class.getResourceAsStream("/moonshard-version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
