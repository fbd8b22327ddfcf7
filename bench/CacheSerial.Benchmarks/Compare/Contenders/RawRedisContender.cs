using System.Text.Json;
using CacheSerial.Benchmarks.Model;
using StackExchange.Redis;

namespace CacheSerial.Benchmarks.Compare.Contenders;

/// <summary>The floor: one Redis string per entry, <c>GET</c>/<c>SET</c> through StackExchange.Redis and the same serializer.</summary>
public sealed class RawRedisContender : ICacheContender, IBulkReadContender
{
    private IDatabase? _database;
    private ContenderEnvironment? _environment;

    /// <summary>The row label; the report's ratios are "vs" this contender.</summary>
    public const string FloorName = "Raw SE.Redis + STJ (floor)";

    public string Name => FloorName;

    public string Description => "`IDatabase.StringGetAsync` + `JsonSerializer.Deserialize(bytes, ProductJsonContext.Default.Product)`; bulk = one `MGET`; no stampede control";

    public ValueTask SetupAsync(ContenderEnvironment environment, CancellationToken cancellationToken)
    {
        _environment = environment;
        _database = environment.Connection.GetDatabase();
        return ValueTask.CompletedTask;
    }

    public async ValueTask SetAsync(string key, Product value, CancellationToken cancellationToken) =>
        await Database.StringSetAsync(RawKey(key), JsonSerializer.SerializeToUtf8Bytes(value, ProductJsonContext.Default.Product), _environment!.Expiration);

    public async ValueTask<Product> HitAsync(string key, CancellationToken cancellationToken)
    {
        var value = await Database.StringGetAsync(RawKey(key));
        return value.IsNull ? throw new UnexpectedMissException(Name, key) : Deserialize(value);
    }

    public async ValueTask<Product> GetOrCreateAsync(string key, Func<CancellationToken, ValueTask<Product>> factory, CancellationToken cancellationToken)
    {
        var cached = await Database.StringGetAsync(RawKey(key));
        if (!cached.IsNull)
        {
            return Deserialize(cached);
        }

        var value = await factory(cancellationToken);
        await SetAsync(key, value, cancellationToken);
        return value;
    }

    public async ValueTask<int> GetManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var redisKeys = new RedisKey[keys.Count];
        for (var i = 0; i < redisKeys.Length; i++)
        {
            redisKeys[i] = RawKey(keys[i]);
        }

        var hits = 0;
        foreach (var value in await Database.StringGetAsync(redisKeys))
        {
            if (!value.IsNull && Deserialize(value) is not null)
            {
                hits++;
            }
        }

        return hits;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static Product Deserialize(RedisValue value) =>
        JsonSerializer.Deserialize(((ReadOnlyMemory<byte>)value).Span, ProductJsonContext.Default.Product)!;

    private RedisKey RawKey(string key) => _environment!.KeyPrefix + key;

    private IDatabase Database => _database ?? throw new InvalidOperationException("SetupAsync has not run.");
}
