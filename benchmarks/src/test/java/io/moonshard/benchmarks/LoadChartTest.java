package io.moonshard.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoadChartTest {

    private static final String SUMMARY = String.join("\n",
            "workload,label,test,clients,pipeline,value_bytes,target,rounds,rps_median,p50_ms_median,p99_ms_median,"
                    + "rps_vs_direct,rps_vs_twemproxy,rps_vs_redis_cluster",
            "p1,SET P=1,SET,50,1,64,direct,1,47281.00,0.527,0.903,1.00,1.19,nan",
            "p1,SET P=1,SET,50,1,64,twemproxy,1,39896.00,0.943,1.703,0.84,1.00,nan",
            "p1,SET P=1,SET,50,1,64,moonshard,1,34194.00,0.863,3.647,0.72,0.86,nan",
            "p16,GET P=16,GET,50,16,64,direct,1,543478.25,1.303,2.719,1.00,3.52,nan",
            "p16,GET P=16,GET,50,16,64,moonshard,1,298507.47,2.063,6.543,0.55,nan,nan",
            "p16,GET P=16,GET,50,16,64,redis-cluster,1,nan,nan,nan,nan,nan,nan",
            "")
            + "\n";

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
    }

    @Test
    void rendersThePngAtTheDefaultSize(@TempDir Path dir) throws IOException {
        Path csv = dir.resolve("summary.csv");
        Path png = dir.resolve("chart.png");
        Files.writeString(csv, SUMMARY, StandardCharsets.UTF_8);

        LoadChart.main(new String[] {csv.toString(), png.toString()});

        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image).isNotNull();
        assertThat(image.getWidth()).isEqualTo(LoadChart.DEFAULT_WIDTH);
        assertThat(image.getHeight()).isEqualTo(LoadChart.DEFAULT_HEIGHT);
        // something was drawn: the top-left corner is background, not every pixel is
        int background = image.getRGB(0, 0);
        boolean drawn = false;
        for (int y = 0; y < image.getHeight() && !drawn; y += 3) {
            for (int x = 0; x < image.getWidth() && !drawn; x += 3) {
                drawn = image.getRGB(x, y) != background;
            }
        }
        assertThat(drawn).isTrue();
    }

    @Test
    void rendersAtTheRequestedSize(@TempDir Path dir) throws IOException {
        Path csv = dir.resolve("summary.csv");
        Path png = dir.resolve("small.png");
        Files.writeString(csv, SUMMARY, StandardCharsets.UTF_8);

        LoadChart.main(new String[] {csv.toString(), png.toString(), "640", "360", "tiny"});

        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image).isNotNull();
        assertThat(image.getWidth()).isEqualTo(640);
        assertThat(image.getHeight()).isEqualTo(360);
    }

    @Test
    void readsLabelsTargetsAndSkipsValuesThatAreNotNumbers(@TempDir Path dir) throws IOException {
        Path csv = dir.resolve("summary.csv");
        Files.writeString(csv, SUMMARY, StandardCharsets.UTF_8);

        assertThat(LoadChart.read(csv))
                .hasSize(5)
                .first()
                .isEqualTo(new LoadChart.Bar("SET P=1", "direct", 47281.0));
    }

    @Test
    void fallsBackToTestAndPipelineWithoutALabelColumn(@TempDir Path dir) throws IOException {
        Path csv = dir.resolve("summary.csv");
        Files.writeString(csv, "test,pipeline,target,rps_median\nGET,16,direct,1000\n", StandardCharsets.UTF_8);

        assertThat(LoadChart.read(csv)).containsExactly(new LoadChart.Bar("GET P=16", "direct", 1000.0));
    }

    @Test
    void formatsAndScales() {
        assertThat(LoadChart.formatRps(950)).isEqualTo("950");
        assertThat(LoadChart.formatRps(34194)).isEqualTo("34.2k");
        assertThat(LoadChart.formatRps(543478)).isEqualTo("543k");
        assertThat(LoadChart.formatRps(1_250_000)).isEqualTo("1.25M");
        assertThat(LoadChart.niceCeiling(543478)).isEqualTo(600_000);
        assertThat(LoadChart.niceCeiling(0)).isEqualTo(1);
        assertThat(LoadChart.niceCeiling(47281)).isEqualTo(50_000);
    }
}
