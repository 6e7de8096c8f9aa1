package io.moonshard.controller;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

/**
 * The controller never uses the proxy's code (it talks to proxies over RESP only, and is its own jar),
 * and its bottom packages ({@code model}, {@code store} with {@code store.etcd}) know nothing of the
 * packages that drive them, so a Kubernetes store or a CLI can reuse them alone.
 */
class ControllerLayersTest {

    private static final String ROOT = "io.moonshard.controller";

    private static JavaClasses controller() {
        return new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(ROOT);
    }

    @Test
    void theControllerDoesNotDependOnTheProxy() {
        JavaClasses classes = controller();
        assertThat(classes).as("controller classes imported").isNotEmpty();
        ArchRule rule = noClasses().that().resideInAPackage(ROOT + "..")
                .should().dependOnClassesThat().resideInAPackage("io.moonshard.proxy..");
        rule.check(classes);
    }

    @Test
    void storeAndModelDoNotDependOnTheLayersAbove() {
        JavaClasses classes = controller();
        assertThat(classes.containPackage(ROOT + ".store.etcd")).isTrue();
        assertThat(classes.containPackage(ROOT + ".election")).isTrue();
        ArchRule rule = noClasses().that().resideInAnyPackage(ROOT + ".store..", ROOT + ".model..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        ROOT + ".election..", ROOT + ".reconcile..", ROOT + ".api..", ROOT + ".cli..",
                        ROOT + ".placement..", ROOT + ".proxyclient..", ROOT + ".render..");
        rule.check(classes);
    }

    @Test
    void theModelDoesNotDependOnTheStore() {
        noClasses().that().resideInAPackage(ROOT + ".model..")
                .should().dependOnClassesThat().resideInAPackage(ROOT + ".store..")
                .check(controller());
    }

    @Test
    void theElectionUsesTheStoreInterfaceNotEtcd() {
        // generic over MetadataStore, so that a Kubernetes store can reuse it
        noClasses().that().resideInAPackage(ROOT + ".election..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + ".store.etcd..", "io.etcd..")
                .check(controller());
    }

    @Test
    void eachPackageUsesOnlyThePackagesBelowIt() {
        // cli > api > reconcile > {placement, election, proxyclient} > {render, store} > model
        com.tngtech.archunit.library.Architectures.layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("cli").definedBy(ROOT + ".cli..")
                .layer("api").definedBy(ROOT + ".api..")
                .layer("reconcile").definedBy(ROOT + ".reconcile..")
                .layer("placement").definedBy(ROOT + ".placement..")
                .layer("election").definedBy(ROOT + ".election..")
                .layer("proxyclient").definedBy(ROOT + ".proxyclient..")
                .layer("render").definedBy(ROOT + ".render..")
                .layer("store").definedBy(ROOT + ".store..")
                .layer("model").definedBy(ROOT + ".model..")
                .whereLayer("cli").mayNotBeAccessedByAnyLayer()
                .whereLayer("api").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("reconcile").mayOnlyBeAccessedByLayers("cli", "api")
                .whereLayer("placement").mayOnlyBeAccessedByLayers("cli", "api", "reconcile")
                .whereLayer("election").mayOnlyBeAccessedByLayers("cli", "api", "reconcile")
                .whereLayer("proxyclient").mayOnlyBeAccessedByLayers("cli", "api", "reconcile")
                .whereLayer("render").mayOnlyBeAccessedByLayers("cli", "api", "reconcile", "placement", "election",
                        "proxyclient")
                .whereLayer("store").mayOnlyBeAccessedByLayers("cli", "api", "reconcile", "placement", "election",
                        "proxyclient")
                .check(controller());
    }

    @Test
    void theRuleCatchesABackEdge() {
        // the rule must fail on a store class that uses the election (this test class stands in for one)
        JavaClasses fixture = new ClassFileImporter().importClasses(
                io.moonshard.controller.store.etcd.BackEdgeFixture.class,
                io.moonshard.controller.election.Candidate.class);
        ArchRule rule = noClasses().that().resideInAnyPackage(ROOT + ".store..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + ".election..");
        assertThat(rule.evaluate(fixture).hasViolation()).isTrue();
    }
}
