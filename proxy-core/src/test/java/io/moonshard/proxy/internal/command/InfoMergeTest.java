package io.moonshard.proxy.internal.command;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InfoMergeTest {

    @Test
    void countsAddUp_textAndAveragesComeFromTheFirstBackend() {
        Map<String, List<String>> a = InfoMerge.parse("# Memory\r\nused_memory:100\r\nmem_allocator:jemalloc-5.3.0\r\n\r\n"
                + "# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=500\r\n");
        Map<String, List<String>> b = InfoMerge.parse("# Memory\r\nused_memory:50\r\nmem_allocator:libc\r\n\r\n"
                + "# Keyspace\r\ndb0:keys=4,expires=0,avg_ttl=100\r\n\r\n# Commandstats\r\ncmdstat_get:calls=2,usec=10,usec_per_call=5.00\r\n");
        String merged = InfoMerge.render(InfoMerge.merge(List.of(a, b)));
        assertThat(merged).isEqualTo("# Memory\r\nused_memory:150\r\nmem_allocator:jemalloc-5.3.0\r\n\r\n"
                + "# Keyspace\r\ndb0:keys=7,expires=1,avg_ttl=500\r\n\r\n"
                + "# Commandstats\r\ncmdstat_get:calls=2,usec=10,usec_per_call=5.00\r\n");
    }

    @Test
    void fieldLinesRoundTrip_includingLinesWithoutAColon() {
        List<String> lines = List.of("a:1", "plain", "b:");
        assertThat(InfoMerge.lines(InfoMerge.fields(lines))).isEqualTo(lines);
        assertThat(InfoMerge.mergeValue("calls=1,usec=3", "calls=2,usec=4")).isEqualTo("calls=3,usec=7");
        assertThat(InfoMerge.mergeValue("-1", "2")).isEqualTo("1");
        assertThat(InfoMerge.mergeValue("0.5", "0.25")).isEqualTo("0.5");
    }
}
