package io.moonshard.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

class KeyValueLayoutTest {

    private final LoggerContext context = new LoggerContext();
    private final Logger logger = context.getLogger("io.moonshard.server.Main");
    private final KeyValueLayout layout = new KeyValueLayout();

    @Test
    void writesOneLineOfKeyValueFields() {
        LoggingEvent event = event(Level.INFO, "started", null);
        event.addKeyValuePair(new KeyValuePair("address", "127.0.0.1:5299"));
        event.addKeyValuePair(new KeyValuePair("threads", 2));

        String line = layout.doLayout(event);

        assertThat(line).isEqualTo("ts=2026-11-25T01:02:03.004Z level=INFO logger=Main thread=main msg=started"
                + " address=127.0.0.1:5299 threads=2\n");
    }

    @Test
    void quotesAndEscapesValuesThatAreNotPlainWords() {
        LoggingEvent event = event(Level.WARN, "two\nlines \"quoted\" back\\slash", null);
        event.addKeyValuePair(new KeyValuePair("path", "/tmp/a b.toml"));
        event.addKeyValuePair(new KeyValuePair("empty", ""));

        String line = layout.doLayout(event);

        assertThat(line).isEqualTo("ts=2026-11-25T01:02:03.004Z level=WARN logger=Main thread=main"
                + " msg=\"two\\nlines \\\"quoted\\\" back\\\\slash\" path=\"/tmp/a b.toml\" empty=\"\"\n");
    }

    @Test
    void putsTheStackTraceOnTheSameLine() {
        LoggingEvent event = event(Level.ERROR, "start failed", new IOException("Address already in use"));

        String line = layout.doLayout(event);

        assertThat(line).hasLineCount(1).endsWith("\n")
                .contains(" exception=\"java.io.IOException: Address already in use\\n\\tat ");
    }

    private LoggingEvent event(Level level, String message, Throwable thrown) {
        LoggingEvent event = new LoggingEvent("fqcn", logger, level, message, thrown, null);
        event.setTimeStamp(java.time.Instant.parse("2026-11-25T01:02:03.004Z").toEpochMilli());
        event.setThreadName("main");
        return event;
    }
}
