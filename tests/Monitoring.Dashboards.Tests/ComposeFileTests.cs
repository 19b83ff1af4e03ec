using System.Diagnostics;
using System.Xml.Linq;
using Monitoring.Domain.Registry;
using Monitoring.Edge.Configuration;
using Monitoring.Testing;
using YamlDotNet.RepresentationModel;

namespace Monitoring.Dashboards.Tests;

/// <summary>
/// compose.yaml, validated without a Docker engine: Debian's <c>docker-compose config</c> (which only parses and
/// resolves the file) and structural checks of what the stack needs; the edge configurations it mounts load.
/// </summary>
public sealed class ComposeFileTests
{
    private const string DockerCompose = "/usr/bin/docker-compose";

    private readonly ComposeFile _compose = ComposeFile.Load();

    [Fact]
    public async Task Docker_compose_config_accepts_the_file_with_the_example_environment()
    {
        Assert.True(File.Exists(DockerCompose), $"{DockerCompose} is missing: ./test.sh installs Debian's docker-compose package");
        var start = new ProcessStartInfo(DockerCompose) { WorkingDirectory = RepositoryPaths.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--env-file", ".env.example", "-f", "compose.yaml", "config" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"docker-compose config failed: {await error}");
        var resolved = await output;
        Assert.Contains("grafana/grafana:12.0.2", resolved, StringComparison.Ordinal);
        Assert.DoesNotContain("${", resolved, StringComparison.Ordinal);
    }

    [Fact]
    public void Stack_has_every_service_with_pinned_images()
    {
        Assert.Equal(
            ["edge-casa-aero", "edge-tanger-mach", "grafana", "influxdb", "monitoring", "mosquitto", "postgres", "sim-casa-aero", "sim-tanger-mach"],
            _compose.ServiceNames().Order(StringComparer.Ordinal));
        Assert.StartsWith("influxdb:2.", ComposeFile.Scalar(_compose.Service("influxdb"), "image"), StringComparison.Ordinal);
        foreach (var name in _compose.ServiceNames())
        {
            var image = ComposeFile.Scalar(_compose.Service(name), "image");
            Assert.NotNull(image);
            Assert.Matches(@":\d+(\.\d+)*$|:local$", image);
        }
    }

    [Fact]
    public void Our_executables_are_built_from_their_projects_by_the_dockerfile()
    {
        var expected = new Dictionary<string, (string Project, string App, string Verb)>
        {
            ["monitoring"] = ("src/Monitoring.Server", "monitoring", "serve"),
            ["edge-casa-aero"] = ("edge/Monitoring.Edge", "monitoring-edge", "run"),
            ["sim-casa-aero"] = ("simulators/Monitoring.Simulators", "monitoring-sim", "plant"),
        };
        foreach (var (service, (project, app, verb)) in expected)
        {
            var build = ComposeFile.Mapping(_compose.Service(service), "build")!;
            Assert.True(File.Exists(Path.Combine(RepositoryPaths.Root, ComposeFile.Scalar(build, "dockerfile")!)));
            var args = ComposeFile.Mapping(build, "args")!;
            Assert.Equal(project, ComposeFile.Scalar(args, "PROJECT"));
            Assert.Equal(app, ComposeFile.Scalar(args, "APP"));
            var csproj = Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, project), "*.csproj").Single();
            Assert.Equal(app, XDocument.Load(csproj).Descendants("AssemblyName").Single().Value);
            Assert.Equal(verb, ComposeFile.Sequence(_compose.Service(service), "command")[0]);
        }

        var dockerfile = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "deploy", "Dockerfile"));
        Assert.Contains("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", dockerfile, StringComparison.Ordinal);
        Assert.Contains("FROM mcr.microsoft.com/dotnet/${RUNTIME}:10.0", dockerfile, StringComparison.Ordinal);
    }

    [Fact]
    public void Grafana_is_provisioned_from_dashboards_with_the_datasource_environment()
    {
        var grafana = _compose.Service("grafana");
        var volumes = _compose.ServiceVolumes("grafana");
        Assert.Contains("./dashboards/grafana/provisioning:/etc/grafana/provisioning:ro", volumes);
        var environment = ComposeFile.Mapping(grafana, "environment")!;
        foreach (var variable in new[] { "INFLUXDB_URL", "INFLUXDB_DATABASE", "INFLUXDB_TOKEN" })
        {
            Assert.NotNull(ComposeFile.Scalar(environment, variable));
        }
    }

    [Fact]
    public void Influxdb_is_initialised_with_org_bucket_token_and_the_dbrp_mapping()
    {
        var environment = ComposeFile.Mapping(_compose.Service("influxdb"), "environment")!;
        Assert.Equal("setup", ComposeFile.Scalar(environment, "DOCKER_INFLUXDB_INIT_MODE"));
        foreach (var key in new[] { "DOCKER_INFLUXDB_INIT_ORG", "DOCKER_INFLUXDB_INIT_BUCKET", "DOCKER_INFLUXDB_INIT_ADMIN_TOKEN", "MONITORING_INFLUXQL_DATABASE" })
        {
            Assert.StartsWith("${", ComposeFile.Scalar(environment, key), StringComparison.Ordinal);
        }

        Assert.Contains("./deploy/influxdb/init:/docker-entrypoint-initdb.d:ro", _compose.ServiceVolumes("influxdb"));
        var script = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "deploy", "influxdb", "init", "10-dbrp.sh"));
        Assert.Contains("influx v1 dbrp create", script, StringComparison.Ordinal);
        Assert.Contains("DOCKER_INFLUXDB_INIT_BUCKET_ID", script, StringComparison.Ordinal);
        Assert.Contains("MONITORING_INFLUXQL_DATABASE", script, StringComparison.Ordinal);
    }

    [Fact]
    public void The_server_keeps_its_jobs_in_the_stacks_postgresql_and_its_health_check_asks_its_readiness()
    {
        var server = _compose.Service("monitoring");
        var environment = ComposeFile.Mapping(server, "environment")!;
        string Value(string key) => ((YamlScalarNode)environment[key]).Value!;
        Assert.Equal("postgresql", Value("MONITORING_Jobs__Storage"));
        var postgres = ComposeFile.Mapping(_compose.Service("postgres"), "environment")!;
        Assert.Equal(
            $"Host=postgres;Port=5432;Database={((YamlScalarNode)postgres["POSTGRES_DB"]).Value};Username={((YamlScalarNode)postgres["POSTGRES_USER"]).Value};Password=${{POSTGRES_PASSWORD}}",
            Value("MONITORING_JOBS_POSTGRES"));
        Assert.Equal(
            ["CMD", "/usr/local/bin/entrypoint", "health", "--url", "http://127.0.0.1:8080/health/ready"],
            ComposeFile.Sequence(ComposeFile.Mapping(server, "healthcheck")!, "test"));
        Assert.Contains("postgres", ComposeFile.Mapping(server, "depends_on")!.Children.Keys.Select(k => ((YamlScalarNode)k).Value));
    }

    [Fact]
    public void Mosquitto_requires_a_password_on_its_published_listener()
    {
        var config = File.ReadAllLines(Path.Combine(RepositoryPaths.Root, "deploy", "mosquitto", "mosquitto.conf"));
        var listener1883 = config.SkipWhile(l => l != "listener 1883").TakeWhile(l => !l.StartsWith("listener 1884", StringComparison.Ordinal)).ToList();
        Assert.Contains("allow_anonymous false", listener1883);
        Assert.Contains(listener1883, l => l.StartsWith("password_file ", StringComparison.Ordinal));
        Assert.Contains("per_listener_settings true", config);
        Assert.Equal(["127.0.0.1:1883:1883"], ComposeFile.Sequence(_compose.Service("mosquitto"), "ports"));
    }

    [Fact]
    public void Secrets_come_from_the_environment_and_the_example_defines_every_variable()
    {
        var example = File.ReadAllLines(Path.Combine(RepositoryPaths.Root, ".env.example"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        Assert.All(ComposeFile.EnvironmentReferences(), name => Assert.True(example.ContainsKey(name), $".env.example does not define {name}"));
        Assert.All(example.Where(kv => kv.Key.Contains("PASSWORD", StringComparison.Ordinal) || kv.Key.Contains("TOKEN", StringComparison.Ordinal)),
            kv => Assert.Equal("change-me", kv.Value));
        Assert.Contains(".env", File.ReadAllLines(Path.Combine(RepositoryPaths.Root, ".gitignore")));

        foreach (var name in _compose.ServiceNames())
        {
            if (ComposeFile.Mapping(_compose.Service(name), "environment") is { } environment)
            {
                foreach (var (key, value) in environment.Children.Select(kv => (((YamlScalarNode)kv.Key).Value!, ((YamlScalarNode)kv.Value).Value ?? string.Empty)))
                {
                    if (key.Contains("PASSWORD", StringComparison.OrdinalIgnoreCase) || key.Contains("TOKEN", StringComparison.OrdinalIgnoreCase))
                    {
                        Assert.True(value.Contains("${", StringComparison.Ordinal), $"{name}: {key} must come from .env, not be written in compose.yaml");
                    }
                }
            }
        }
    }

    [Fact]
    public void Every_bind_mount_exists()
    {
        foreach (var name in _compose.ServiceNames())
        {
            foreach (var source in _compose.ServiceVolumes(name).Select(v => v.Split(':')[0]).Where(s => s.StartsWith("./", StringComparison.Ordinal)))
            {
                Assert.True(Path.Exists(Path.Combine(RepositoryPaths.Root, source)), $"{name} mounts {source}, which does not exist");
            }
        }
    }

    [Theory]
    [InlineData("edge-casa-aero", "casa-aero")]
    [InlineData("edge-tanger-mach", "tanger-mach")]
    public void Edge_agents_configurations_load_and_name_the_sites_meters(string service, string site)
    {
        var file = _compose.ServiceVolumes(service).Select(v => v.Split(':')).Single(p => p[1] == "/etc/monitoring-edge/edge.yaml")[0];
        var path = Path.Combine(RepositoryPaths.Root, file);
        // The loader checks that the uplink password's variable is set, as the container's environment sets it.
        Environment.SetEnvironmentVariable("MQTT_PASSWORD", "test");

        var loaded = EdgeConfigurationLoader.Load(path, File.ReadAllText(path));

        Assert.Empty(loaded.Errors);
        var configuration = loaded.Configuration!;
        Assert.Equal(site, configuration.Site);
        var registry = SiteRegistryLoader.LoadDirectory(RepositoryPaths.Registry).Registry!.FindSite(site)!;
        Assert.All(configuration.Devices, d =>
        {
            var meter = registry.FindMeter(d.Id);
            Assert.NotNull(meter);
            Assert.All(d.Points, p => Assert.NotNull(meter.FindField(p.Field)));
        });
        Assert.Equal("sim-" + site, Assert.Single(configuration.Devices.Select(d => d.Host).Distinct()));
    }
}
