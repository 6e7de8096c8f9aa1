package io.moonshard.proxy.internal;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The engine's role packages depend on each other one way only, as {@code docs/design.md} draws them:
 * <pre>
 *   runtime
 *   command
 *   migration, replication   (background engines)
 *   engine                   (what an engine is given)
 *   route
 *   session
 *   backend
 *   metadata, metrics
 *   config, wire
 * </pre>
 * A package may use the packages below it, never one above or beside it. The same rules run against
 * a small fixture with one back-edge ({@code backend} using {@code session}), so a rule that stopped
 * catching it would fail here too.
 */
class LayersTest {

    private static final String ROOT = "io.moonshard.proxy.internal";
    private static final String FIXTURE = "io.moonshard.layersfixture.internal";

    /**
     * The role packages, top tier first. A package may use the packages of every lower tier; packages
     * of one tier do not use each other.
     */
    private static final List<List<String>> TIERS = List.of(
            List.of("runtime"),
            List.of("command"),
            List.of("migration", "replication"),
            List.of("engine"),
            List.of("route"),
            List.of("session"),
            List.of("backend"),
            List.of("metadata", "metrics"),
            List.of("config", "wire"));

    /** The layer rule for the role packages under {@code root}, derived from {@link #TIERS}. */
    static ArchRule layers(String root) {
        LayeredArchitecture architecture = layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .withOptionalLayers(true);
        for (List<String> tier : TIERS) {
            for (String role : tier) {
                architecture = architecture.layer(role).definedBy(root + "." + role + "..");
            }
        }
        for (int t = 0; t < TIERS.size(); t++) {
            String[] below = TIERS.subList(t + 1, TIERS.size()).stream().flatMap(List::stream).toArray(String[]::new);
            for (String role : TIERS.get(t)) {
                architecture = below.length == 0
                        ? architecture.whereLayer(role).mayNotAccessAnyLayer()
                        : architecture.whereLayer(role).mayOnlyAccessLayers(below);
            }
        }
        return architecture;
    }

    /** No two role packages under {@code root} depend on each other, directly or around a loop. */
    static ArchRule noCycles(String root) {
        return slices().matching(root + ".(*)..").should().beFreeOfCycles();
    }

    private static JavaClasses engine() {
        return new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(ROOT);
    }

    private static JavaClasses fixture() {
        return new ClassFileImporter().importPackages(FIXTURE);
    }

    @Test
    void rolePackagesDependOnlyOnTheLayersBelow() {
        layers(ROOT).check(engine());
    }

    @Test
    void rolePackagesFormNoCycle() {
        noCycles(ROOT).check(engine());
    }

    @Test
    void everyRolePackageSaysWhatItOwns() {
        JavaClasses classes = engine();
        for (String role : TIERS.stream().flatMap(List::stream).toList()) {
            assertThat(classes.containPackage(ROOT + "." + role)).as(role).isTrue();
            assertThat(classes.getPackage(ROOT + "." + role).tryGetPackageInfo()).as(role + " package-info").isPresent();
        }
    }

    @Test
    void aBackendThatUsesASessionBreaksTheLayers() {
        assertThatThrownBy(() -> layers(FIXTURE).check(fixture()))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("layersfixture.internal.backend.FixtureConnection")
                .hasMessageContaining("layersfixture.internal.session.FixtureSession");
    }

    @Test
    void aBackEdgeMakesACycle() {
        assertThatThrownBy(() -> noCycles(FIXTURE).check(fixture()))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("Cycle detected");
    }
}
