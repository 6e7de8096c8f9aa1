package io.moonshard.proxy.internal;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
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

    /** The layer rule for the role packages under {@code root}. */
    static ArchRule layers(String root) {
        return layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .withOptionalLayers(true)
                .layer("wire").definedBy(root + ".wire..")
                .layer("config").definedBy(root + ".config..")
                .layer("metrics").definedBy(root + ".metrics..")
                .layer("metadata").definedBy(root + ".metadata..")
                .layer("backend").definedBy(root + ".backend..")
                .layer("session").definedBy(root + ".session..")
                .layer("route").definedBy(root + ".route..")
                .layer("engine").definedBy(root + ".engine..")
                .layer("migration").definedBy(root + ".migration..")
                .layer("replication").definedBy(root + ".replication..")
                .layer("command").definedBy(root + ".command..")
                .layer("runtime").definedBy(root + ".runtime..")
                .whereLayer("wire").mayNotAccessAnyLayer()
                .whereLayer("config").mayNotAccessAnyLayer()
                .whereLayer("metrics").mayOnlyAccessLayers("config", "wire")
                .whereLayer("metadata").mayOnlyAccessLayers("config", "wire")
                .whereLayer("backend").mayOnlyAccessLayers("metadata", "metrics", "config", "wire")
                .whereLayer("session").mayOnlyAccessLayers("backend", "metadata", "metrics", "config", "wire")
                .whereLayer("route").mayOnlyAccessLayers("session", "backend", "metadata", "metrics", "config", "wire")
                .whereLayer("engine").mayOnlyAccessLayers("route", "session", "backend", "metadata", "metrics",
                        "config", "wire")
                .whereLayer("migration").mayOnlyAccessLayers("engine", "route", "session", "backend", "metadata",
                        "metrics", "config", "wire")
                .whereLayer("replication").mayOnlyAccessLayers("engine", "route", "session", "backend", "metadata",
                        "metrics", "config", "wire")
                .whereLayer("command").mayOnlyAccessLayers("migration", "replication", "engine", "route", "session",
                        "backend", "metadata", "metrics", "config", "wire")
                .whereLayer("runtime").mayOnlyAccessLayers("command", "migration", "replication", "engine", "route",
                        "session", "backend", "metadata", "metrics", "config", "wire");
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
        for (String role : new String[] {"wire", "config", "metrics", "metadata", "backend", "session", "route",
                "engine", "migration", "replication", "command", "runtime"}) {
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
