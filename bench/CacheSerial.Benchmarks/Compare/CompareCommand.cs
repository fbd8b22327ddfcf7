using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CacheSerial.Benchmarks.Model;
using MessagePack;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;

namespace CacheSerial.Benchmarks.Compare;

/// <summary>The <c>compare</c> verb: side-by-side measurement of every contender on one Redis, written to docs/benchmarks.md.</summary>
public static class CompareCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken = default)
    {
        var settings = CompareSettings.Parse(args);
        var clock = Stopwatch.StartNew();
        var startedAt = DateTimeOffset.UtcNow;
        RedisServerProcess? child = null;
        var contenders = ContenderCatalog.CreateAll();
        try
        {
            string endpoint, origin;
            if (settings.Redis is null)
            {
                var executable = RedisServerProcess.FindExecutable()
                    ?? throw new InvalidOperationException($"No redis-server found: install it or pass --redis host:port (or set {CompareSettings.RedisVariable}).");
                child = await RedisServerProcess.StartAsync(executable, cancellationToken);
                endpoint = child.Endpoint;
                origin = $"`{executable}` child process (pid {child.ProcessId}) on {endpoint}, persistence off";
            }
            else
            {
                endpoint = settings.Redis;
                origin = $"{endpoint}, named by --redis or {CompareSettings.RedisVariable}";
            }

            Console.WriteLine($"compare: Redis {origin}; {settings.Rounds} rounds{(settings.Quick ? ", quick" : string.Empty)}");
            await using var connection = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
            {
                EndPoints = { endpoint },
                AllowAdmin = true, // INFO for the report's Redis version
                AbortOnConnectFail = true,
                ClientName = "cacheserial-bench",
            });
            var server = connection.GetServer(connection.GetEndPoints()[0]);
            var redisVersion = (await server.InfoAsync("server")).SelectMany(g => g).FirstOrDefault(p => p.Key == "redis_version").Value ?? "unknown";

            var report = new CompareReport
            {
                Machine = RunEnvironment.Machine(),
                RedisServer = $"redis_version {redisVersion}, {origin}",
                Packages = Packages(),
                Contenders = [.. contenders.Select(c => new KeyValuePair<string, string>(c.Name, c.Description))],
                Settings = Describe(settings),
                FloorName = Contenders.RawRedisContender.FloorName,
                ReferenceName = ContenderCatalog.ReferenceName,
                StartedAt = startedAt,
            };

            var runPrefix = $"cacheserial-bench:{Guid.NewGuid().ToString("N")[..8]}:";
            var runner = new CompareRunner(settings, Console.Out);
            await runner.PrepareAsync(contenders, connection, runPrefix, cancellationToken);
            await AddObjectSizesAsync(report, connection, server, runPrefix, contenders);
            await runner.RunAsync(contenders, report, cancellationToken);
            await DeleteKeysAsync(connection, server, runPrefix);

            report.Duration = clock.Elapsed;
            var markdown = ReportWriter.Write(report);
            var output = settings.Output ?? RunEnvironment.DefaultOutputPath();
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
            await File.WriteAllTextAsync(output, markdown, cancellationToken);
            Console.WriteLine();
            Console.Write(markdown);
            Console.WriteLine($"compare: wrote {output} in {clock.Elapsed.TotalSeconds:0.0} s{(report.HasFailures ? "; some contenders FAILED" : string.Empty)}");
            return report.HasFailures ? 1 : 0;
        }
        finally
        {
            foreach (var contender in contenders)
            {
                await contender.DisposeAsync();
            }

            if (child is not null)
            {
                await child.DisposeAsync();
            }
        }
    }

    private static List<KeyValuePair<string, string>> Packages()
    {
        var commit = RunEnvironment.GitCommit();
        return
        [
            new("CacheSerial", "this repository" + (commit is null ? string.Empty : $", commit {commit}")),
            new("Microsoft.Extensions.Caching.Hybrid", RunEnvironment.VersionOf(typeof(HybridCacheOptions))),
            new("ZiggyCreatures.FusionCache", RunEnvironment.VersionOf(typeof(FusionCache))),
            new("ZiggyCreatures.FusionCache.Serialization.SystemTextJson", RunEnvironment.VersionOf(typeof(ZiggyCreatures.Caching.Fusion.Serialization.SystemTextJson.FusionCacheSystemTextJsonSerializer))),
            new("Microsoft.Extensions.Caching.StackExchangeRedis", RunEnvironment.VersionOf(typeof(RedisCache))),
            new("StackExchange.Redis", RunEnvironment.VersionOf(typeof(ConnectionMultiplexer))),
            new("System.Text.Json", RunEnvironment.VersionOf(typeof(JsonSerializer))),
            new("MessagePack", RunEnvironment.VersionOf(typeof(MessagePackSerializer))),
        ];
    }

    private static string Describe(CompareSettings s) => string.Create(CultureInfo.InvariantCulture,
        $"{s.Rounds} rounds{(s.Quick ? " (--quick)" : string.Empty)}; warm-up {s.WarmupOps} hits + {s.WarmupOps / 4} misses + one pass of every scenario per contender; " +
        $"entries written with a 10 min lifetime; client and server on the same machine over loopback.");

    /// <summary>Payload sizes of the object per serializer, and what each contender actually stores for it in Redis.</summary>
    private static async Task AddObjectSizesAsync(CompareReport report, IConnectionMultiplexer connection, IServer server, string runPrefix, IReadOnlyList<ICacheContender> contenders)
    {
        report.ObjectSizes.Add(new("Product as JSON (System.Text.Json source-gen)", JsonSerializer.SerializeToUtf8Bytes(Workload.Expected, ProductJsonContext.Default.Product).Length.ToString(CultureInfo.InvariantCulture)));
        report.ObjectSizes.Add(new("Product as MessagePack (attributed)", MessagePackSerializer.Serialize(Workload.Expected, Serializers.MessagePack).Length.ToString(CultureInfo.InvariantCulture)));
        var database = connection.GetDatabase();
        for (var i = 0; i < contenders.Count; i++)
        {
            var stored = "not found";
            await foreach (var key in server.KeysAsync(pattern: $"{runPrefix}{i}:*{Workload.HitKey}"))
            {
                var type = await database.KeyTypeAsync(key);
                stored = type switch
                {
                    RedisType.String => (await database.StringLengthAsync(key)).ToString(CultureInfo.InvariantCulture) + " (string value)",
                    RedisType.Hash => (await database.HashStringLengthAsync(key, "data")).ToString(CultureInfo.InvariantCulture) + " (hash field `data`)",
                    _ => $"({type})",
                };
                break;
            }

            report.ObjectSizes.Add(new($"Stored by {contenders[i].Name}", stored));
        }
    }

    private static async Task DeleteKeysAsync(IConnectionMultiplexer connection, IServer server, string runPrefix)
    {
        var database = connection.GetDatabase();
        var batch = new List<RedisKey>();
        await foreach (var key in server.KeysAsync(pattern: runPrefix + "*", pageSize: 1000))
        {
            batch.Add(key);
            if (batch.Count == 1000)
            {
                await database.KeyDeleteAsync([.. batch]);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            await database.KeyDeleteAsync([.. batch]);
        }
    }
}
