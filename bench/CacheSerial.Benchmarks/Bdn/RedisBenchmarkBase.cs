using BenchmarkDotNet.Attributes;
using CacheSerial.Benchmarks.Compare;
using StackExchange.Redis;

namespace CacheSerial.Benchmarks.Bdn;

/// <summary>
/// Runs one compare-harness contender per benchmark case against Redis: CACHESERIAL_REDIS if set, else a redis-server
/// child started for the case and killed by its pid afterwards.
/// </summary>
public abstract class RedisBenchmarkBase
{
    private RedisServerProcess? _server;
    private ConnectionMultiplexer? _connection;

    /// <summary>The environment variable that limits a run to some contenders: names separated by <c>;</c>.</summary>
    public const string ContendersVariable = "CACHESERIAL_BDN_CONTENDERS";

    /// <summary>Every contender of the compare harness, by name, or those <see cref="ContendersVariable"/> names.</summary>
    public static IEnumerable<string> ContenderNames
    {
        get
        {
            var all = ContenderCatalog.CreateAll().Select(c => c.Name);
            var only = Environment.GetEnvironmentVariable(ContendersVariable)?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return only is { Length: > 0 } ? all.Where(only.Contains) : all;
        }
    }

    [ParamsSource(nameof(ContenderNames))]
    public string Contender { get; set; } = string.Empty;

    protected ICacheContender Cache { get; private set; } = null!;

    [GlobalSetup]
    public async Task GlobalSetup()
    {
        (_server, var endpoint) = await StartRedisAsync();
        _connection = await ConnectionMultiplexer.ConnectAsync(endpoint);
        Cache = ContenderCatalog.CreateAll().Single(c => c.Name == Contender);
        await Cache.SetupAsync(new ContenderEnvironment(_connection, $"cacheserial-bdn:{Guid.NewGuid().ToString("N")[..8]}:", TimeSpan.FromMinutes(10)), CancellationToken.None);
        await CompareRunner.SeedAndVerifyAsync(Cache, bulkKeys: 0, CancellationToken.None);
    }

    /// <summary>CACHESERIAL_REDIS if set (no server started), else a redis-server child on a free port.</summary>
    internal static async Task<(RedisServerProcess? Server, string Endpoint)> StartRedisAsync()
    {
        var endpoint = Environment.GetEnvironmentVariable(CompareSettings.RedisVariable);
        if (!string.IsNullOrWhiteSpace(endpoint))
        {
            return (null, endpoint);
        }

        var server = await RedisServerProcess.StartAsync(
            RedisServerProcess.FindExecutable() ?? throw new InvalidOperationException("No redis-server found; set CACHESERIAL_REDIS."),
            CancellationToken.None);
        return (server, server.Endpoint);
    }

    [GlobalCleanup]
    public async Task GlobalCleanup()
    {
        await Cache.DisposeAsync();
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
