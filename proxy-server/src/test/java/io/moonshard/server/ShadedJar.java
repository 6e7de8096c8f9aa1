package io.moonshard.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

/** The shaded proxy jar the jar ITs start: {@code target/moonshard-proxy.jar}, or {@code -Dmoonshard.jar}. */
final class ShadedJar {

    private ShadedJar() {
    }

    static Path path() {
        String configured = System.getProperty("moonshard.jar");
        Path jar = configured != null ? Path.of(configured) : Path.of("target", "moonshard-proxy.jar");
        assertThat(jar).as("the shaded jar (run 'package' first)").isRegularFile();
        return jar;
    }
}
