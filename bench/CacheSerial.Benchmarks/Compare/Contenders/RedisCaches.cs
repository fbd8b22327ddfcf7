using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Options;

namespace CacheSerial.Benchmarks.Compare.Contenders;

internal static class RedisCaches
{
    /// <summary>
    /// A RedisCache over the shared multiplexer, keys under <see cref="ContenderEnvironment.KeyPrefix"/> (or the
    /// environment's own <see cref="ContenderEnvironment.DistributedCache"/>). Never disposed: disposing a RedisCache
    /// closes its connection, which here is the shared one.
    /// </summary>
    public static IDistributedCache Create(ContenderEnvironment environment) =>
        environment.DistributedCache ?? new RedisCache(Options.Create(new RedisCacheOptions
        {
            InstanceName = environment.KeyPrefix,
            ConnectionMultiplexerFactory = () => Task.FromResult(environment.Connection),
        }));

    public static DistributedCacheEntryOptions EntryOptions(ContenderEnvironment environment) =>
        new() { AbsoluteExpirationRelativeToNow = environment.Expiration };
}
