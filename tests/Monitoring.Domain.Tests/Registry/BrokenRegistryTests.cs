using Monitoring.Domain.Registry;

using Monitoring.Domain.Configuration;

namespace Monitoring.Domain.Tests.Registry;

/// <summary>
/// Each test breaks a valid registry in one way and asserts the exact file, line, column and message,
/// because "file:line:column: message" is what a user acts on.
/// </summary>
public sealed class BrokenRegistryTests
{
    private static void AssertError(ConfigurationError error, string file, int line, int column, string message)
    {
        Assert.Equal(message, error.Message);
        Assert.Equal((file, line, column), (error.Location.File, error.Location.Line, error.Location.Column));
        Assert.Equal($"{file}:{line}:{column}: {message}", error.ToString());
    }

    [Fact]
    public void Duplicate_meter_id_points_at_the_second_definition_and_names_the_first()
    {
        using var registry = new TempRegistry().Write("site.yaml", """
            sites:
              - id: s1
                ecosystem: aeronautics
                meters:
                  - id: m1
                    carrier: electricity
                    fields: [energy_import_kwh]
                  - id: m1
                    carrier: electricity
                    fields: [power_kw]
            """);

        AssertError(registry.SingleError(), registry.PathOf("site.yaml"), 8, 13,
            $"site 's1': duplicate meter id 'm1' (first defined at {registry.PathOf("site.yaml")}:5:9)");
    }

    [Fact]
    public void A_meter_declares_its_replacements_and_when_a_changed_multiplier_takes_effect()
    {
        using var registry = new TempRegistry().Write("site.yaml", """
            sites:
              - id: s1
                ecosystem: aeronautics
                meters:
                  - id: m1
                    carrier: electricity
                    multiplier: 40
                    effective_from: 2025-11-05T08:00:00+01:00
                    fields: [energy_import_kwh, power_kw]
                    replacements:
                      - { field: energy_import_kwh, at: 2025-11-05T08:06:00Z, old_final: 2992.0, new_initial: 0.0 }
            """);

        var meter = registry.Load().Registry!.Sites[0].Meters[0];
        Assert.Equal(DateTimeOffset.Parse("2025-11-05T07:00:00Z", System.Globalization.CultureInfo.InvariantCulture), meter.EffectiveFrom);
        Assert.Equal(new RegisteredReplacement("energy_import_kwh", DateTimeOffset.Parse("2025-11-05T08:06:00Z", System.Globalization.CultureInfo.InvariantCulture), 2992, 0),
            Assert.Single(meter.Replacements));
    }

    [Theory]
    [InlineData("{ field: power_kw, at: 2025-11-05T08:06:00Z, old_final: 1, new_initial: 0 }", 9, 22,
        "meter 'm1', replacement: 'power_kw' is not a counter field of the meter (fields: energy_import_kwh)")]
    [InlineData("{ field: energy_import_kwh, at: 2025-11-05 08:06, old_final: 1, new_initial: 0 }", 9, 45,
        "meter 'm1', replacement: 'at' must be an instant with its offset, e.g. 2025-11-05T08:06:00Z, got '2025-11-05 08:06'")]
    [InlineData("{ field: energy_import_kwh, at: 2025-11-05T08:06:00Z, new_initial: 0 }", 9, 13,
        "meter 'm1', replacement: missing required key 'old_final'")]
    public void A_replacement_that_cannot_be_applied_is_an_error_at_its_place(string entry, int line, int column, string message)
    {
        using var registry = new TempRegistry().Write("site.yaml", $"""
            sites:
              - id: s1
                ecosystem: aeronautics
                meters:
                  - id: m1
                    carrier: electricity
                    fields: [energy_import_kwh, power_kw]
                    replacements:
                      - {entry}
            """);

        AssertError(registry.SingleError(), registry.PathOf("site.yaml"), line, column, message);
    }

    [Fact]
    public void Unknown_carrier_lists_the_valid_ones()
    {
        using var registry = new TempRegistry().Write("site.yaml", """
            sites:
              - id: s1
                ecosystem: aeronautics
                meters:
                  - id: boiler
                    carrier: steam
                    fields: [energy_import_kwh]
            """);

        AssertError(registry.SingleError(), registry.PathOf("site.yaml"), 6, 18,
            "meter 'boiler': unknown carrier 'steam' (expected one of: electricity, natural_gas, gasoil, fuel_oil, lpg, water, weather)");
    }

    [Fact]
    public void Custom_counter_without_unit_is_rejected()
    {
        using var registry = new TempRegistry().Write("site.yaml", """
            sites:
              - id: s1
                ecosystem: aeronautics
                meters:
                  - id: chp
                    carrier: electricity
                    fields:
                      - energy_import_kwh
                      - { name: heat_output_kwh, kind: counter }
            """);

        AssertError(registry.SingleError(), registry.PathOf("site.yaml"), 9, 13,
            "meter 'chp' field 'heat_output_kwh': missing required key 'unit'");
    }

    [Fact]
    public void Cycle_in_the_metering_tree_is_reported_once_with_its_path()
    {
        using var registry = new TempRegistry().Write("site.yaml", """
            sites:
              - id: s1
                ecosystem: aeronautics
                meters:
                  - { id: a, carrier: electricity, parent: c, fields: [energy_import_kwh] }
                  - { id: b, carrier: electricity, parent: a, fields: [energy_import_kwh] }
                  - { id: c, carrier: electricity, parent: b, fields: [energy_import_kwh] }
            """);

        AssertError(registry.SingleError(), registry.PathOf("site.yaml"), 5, 48,
            "meter 'a': the parent chain is a cycle: a -> c -> b -> a");
    }

    [Fact]
    public void Unknown_time_zone_asks_for_an_iana_id()
    {
        using var registry = new TempRegistry().Write("site.yaml", """
            sites:
              - id: s1
                ecosystem: aeronautics
                timezone: Morocco/Casablanca
            """);

        AssertError(registry.SingleError(), registry.PathOf("site.yaml"), 4, 15,
            "site 's1': unknown time zone 'Morocco/Casablanca' (expected an IANA id such as Africa/Casablanca)");
    }

    [Fact]
    public void Programme_naming_an_unknown_site_points_at_the_list_item_in_its_own_file()
    {
        using var registry = new TempRegistry()
            .WithCasaSite()
            .Write("programmes.yaml", """
                programmes:
                  - id: p1
                    sites: [casa, tanger]
                    baseline_year: 2023
                    target_year: 2030
                    targets: { energy_percent: 20 }
                """);

        AssertError(registry.SingleError(), registry.PathOf("programmes.yaml"), 3, 19, "programme 'p1': unknown site 'tanger'");
    }

    [Fact]
    public void Emission_factor_without_year_or_source_reports_both()
    {
        using var registry = new TempRegistry(withFactors: false).Write("factors.yaml", """
            emission_factors:
              - carrier: electricity
                kind: location
                value: 0.578
                unit: tCO2e/MWh
                source: Ember 2024
              - carrier: electricity
                kind: combined_margin
                year: 2021
                value: 0.547
                unit: tCO2/MWh
            """);

        var result = registry.Load();

        Assert.Null(result.Registry);
        Assert.Collection(
            result.Errors,
            e => AssertError(e, registry.PathOf("factors.yaml"), 2, 5, "emission factor: missing required key 'year'"),
            e => AssertError(e, registry.PathOf("factors.yaml"), 7, 5, "emission factor: missing required key 'source'"));
    }

    [Fact]
    public void Bad_yaml_syntax_gives_the_parser_position()
    {
        using var registry = new TempRegistry().Write("site.yaml", """
            sites:
              - id: s1
                ecosystem: [aeronautics
                region: Casablanca
            """);

        var error = registry.SingleError();

        Assert.Equal(registry.PathOf("site.yaml"), error.Location.File);
        Assert.Equal(4, error.Location.Line);
        Assert.StartsWith("invalid YAML: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_site_file_that_is_not_yaml_is_the_only_error_not_also_every_programme_that_names_its_site()
    {
        using var registry = new TempRegistry()
            .Write("site.yaml", """
                sites:
                  - id: casa
                    ecosystem: [aeronautics
                    region: Casablanca
                """)
            .Write("programmes.yaml", """
                programmes:
                  - id: p1
                    sites: [casa]
                    baseline_year: 2023
                    target_year: 2030
                    targets: { energy_percent: 20 }
                """);

        var error = registry.SingleError();

        Assert.Equal(registry.PathOf("site.yaml"), error.Location.File);
        Assert.StartsWith("invalid YAML: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Misspelt_key_is_reported_with_a_suggestion()
    {
        using var registry = new TempRegistry().Write("site.yaml", """
            sites:
              - id: s1
                ecosystem: aeronautics
                meters:
                  - id: m1
                    carrier: electricity
                    mutliplier: 80
                    fields: [energy_import_kwh]
            """);

        AssertError(registry.SingleError(), registry.PathOf("site.yaml"), 7, 9,
            "meter 'm1': unknown key 'mutliplier' (did you mean 'multiplier'?)");
    }

    [Fact]
    public void Field_of_another_carrier_is_rejected()
    {
        using var registry = new TempRegistry().Write("site.yaml", """
            sites:
              - id: s1
                ecosystem: aeronautics
                meters:
                  - { id: m1, carrier: electricity, fields: [energy_import_kwh, volume_m3] }
            """);

        AssertError(registry.SingleError(), registry.PathOf("site.yaml"), 5, 69,
            "meter 'm1': field 'volume_m3' does not belong to a electricity meter (it is for: water, gasoil, fuel_oil, lpg)");
    }

    [Fact]
    public void Virtual_meter_formula_naming_an_unknown_meter_is_rejected()
    {
        using var registry = new TempRegistry().Write("site.yaml", """
            sites:
              - id: s1
                ecosystem: aeronautics
                meters:
                  - { id: main, carrier: electricity, fields: [energy_import_kwh] }
                  - id: unmetered
                    carrier: electricity
                    formula: main - compresors
            """);

        AssertError(registry.SingleError(), registry.PathOf("site.yaml"), 8, 18,
            "meter 'unmetered': formula names unknown meter 'compresors'");
    }

    [Fact]
    public void Formula_syntax_error_explains_the_operator_rule()
    {
        using var registry = new TempRegistry().Write("site.yaml", """
            sites:
              - id: s1
                ecosystem: aeronautics
                meters:
                  - { id: main, carrier: electricity, fields: [energy_import_kwh] }
                  - { id: v, carrier: electricity, formula: "main sum(children)" }
            """);

        AssertError(registry.SingleError(), registry.PathOf("site.yaml"), 6, 49,
            "meter 'v': invalid formula: expected '+' or '-' (with spaces around it) before 'sum'");
    }

    [Fact]
    public void Implemented_project_needs_its_implementation_date()
    {
        using var registry = new TempRegistry()
            .WithCasaSite()
            .Write("projects.yaml", """
                projects:
                  - id: leaks
                    site: casa
                    status: implemented
                    capex: 180000
                    expected_savings: { energy_kwh: 210000, cost: 231000 }
                    lifetime_years: 5
                    discount_rate: 0.08
                """);

        AssertError(registry.SingleError(), registry.PathOf("projects.yaml"), 4, 13,
            "project 'leaks': status 'implemented' needs 'implemented_on' (the date the measure took effect)");
    }

    [Fact]
    public void Duplicate_site_across_files_names_the_first_file()
    {
        using var registry = new TempRegistry()
            .Write("a.yaml", """
                sites:
                  - { id: casa, ecosystem: aeronautics }
                """)
            .Write("b.yaml", """
                # the same plant again, copied by mistake
                sites:
                  - id: casa
                    ecosystem: aeronautics
                """);

        AssertError(registry.SingleError(), registry.PathOf("b.yaml"), 3, 9,
            $"duplicate site id 'casa' (first defined at {registry.PathOf("a.yaml")}:2:5)");
    }

    [Fact]
    public void Decimal_comma_is_not_a_number()
    {
        using var registry = new TempRegistry().Write("site.yaml", """
            sites:
              - id: s1
                ecosystem: aeronautics
                meters:
                  - id: m1
                    carrier: electricity
                    multiplier: 80,5
                    fields: [energy_import_kwh]
            """);

        AssertError(registry.SingleError(), registry.PathOf("site.yaml"), 7, 21, "meter 'm1': 'multiplier' must be a number, got '80,5'");
    }

    [Fact]
    public void Value_out_of_range_states_the_range()
    {
        using var registry = new TempRegistry().Write("site.yaml", """
            sites:
              - id: s1
                ecosystem: aeronautics
                meters:
                  - { id: m1, carrier: electricity, multiplier: -80, fields: [energy_import_kwh] }
            """);

        AssertError(registry.SingleError(), registry.PathOf("site.yaml"), 5, 53,
            "meter 'm1': 'multiplier' must be greater than 0, got -80");
    }

    [Fact]
    public void Gas_meter_without_fuel_properties_cannot_produce_co2e()
    {
        using var registry = new TempRegistry().Write("site.yaml", """
            sites:
              - id: s1
                ecosystem: aeronautics
                meters:
                  - { id: gas, carrier: natural_gas, fields: [gas_volume_nm3] }
            """);

        AssertError(registry.SingleError(), registry.PathOf("site.yaml"), 5, 9,
            "meter 'gas': no entry under 'fuels' for natural_gas");
    }

    [Fact]
    public void Rollover_on_a_gauge_is_rejected()
    {
        using var registry = new TempRegistry().Write("site.yaml", """
            sites:
              - id: s1
                ecosystem: aeronautics
                meters:
                  - id: m1
                    carrier: electricity
                    fields:
                      - { name: power_kw, rollover: 65536 }
            """);

        AssertError(registry.SingleError(), registry.PathOf("site.yaml"), 8, 41, "meter 'm1' field 'power_kw': 'rollover' applies to counters only");
    }

    [Fact]
    public void Target_year_must_follow_the_baseline_year()
    {
        using var registry = new TempRegistry()
            .WithCasaSite()
            .Write("programmes.yaml", """
                programmes:
                  - id: p1
                    sites: [casa]
                    baseline_year: 2030
                    target_year: 2023
                    targets: { co2e_percent: 45 }
                """);

        AssertError(registry.SingleError(), registry.PathOf("programmes.yaml"), 5, 18,
            "programme 'p1': 'target_year' (2023) must come after 'baseline_year' (2030)");
    }

    [Fact]
    public void Every_error_is_reported_in_file_order_not_only_the_first()
    {
        using var registry = new TempRegistry().Write("site.yaml", """
            sites:
              - id: S1
                ecosystem: aeronautics
                meters:
                  - { id: m1, carrier: electricity, parent: nowhere, fields: [energy_import_kwh, energy_kwh] }
                  - { id: m2, carrier: electricity, asset: pump, fields: [energy_import_kwh] }
            """);

        var result = registry.Load();

        Assert.Null(result.Registry);
        Assert.Equal(
            [
                "2:9: site: 'id' value 'S1' is not a valid id (lower-case letters, digits, '-', '_' or '.', starting with a letter or digit, at most 64 characters)",
                "5:49: meter 'm1': unknown parent meter 'nowhere'",
                "5:86: meter 'm1': unknown field 'energy_kwh'; declare a custom field as a mapping with name, kind and unit",
                "6:48: meter 'm2': unknown asset 'pump'",
            ],
            result.Errors.Select(e => $"{e.Location.Line}:{e.Location.Column}: {e.Message}"));
    }

    [Fact]
    public void Empty_folder_and_missing_folder_are_errors_not_empty_registries()
    {
        using var registry = new TempRegistry(withFactors: false);

        Assert.Equal("registry folder holds no .yaml or .yml file", registry.SingleError().Message);
        var missing = SiteRegistryLoader.LoadDirectory(registry.PathOf("nope"));
        Assert.Equal($"{registry.PathOf("nope")}: registry folder does not exist", Assert.Single(missing.Errors).ToString());
    }
}
