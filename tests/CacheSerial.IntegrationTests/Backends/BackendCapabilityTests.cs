using CacheSerial.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace CacheSerial.IntegrationTests.Backends;

/// <summary>
/// Which read and write path CacheSerial takes on each backend: the <see cref="IBufferDistributedCache"/> one (no
/// intermediate byte[]) when the store implements it, else plain byte[] Get/Set. docs/backends.md quotes these.
/// </summary>
public sealed class BackendCapabilityTests(RedisFixture redis, GarnetFixture garnet, SqliteFixture sqlite)
{
    [Fact]
    public void MemoryDistributedCache_IsNotBufferDistributedCache() =>
        Assert.False(new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions())) is IBufferDistributedCache);

    [Fact]
    public void RedisCache_OnRedis_IsBufferDistributedCache() => Assert.IsAssignableFrom<IBufferDistributedCache>(redis.Cache);

    [Fact]
    public void RedisCache_OnGarnet_IsBufferDistributedCache() => Assert.IsAssignableFrom<IBufferDistributedCache>(garnet.Cache);

    [Fact]
    public void SqliteCache_IsNotBufferDistributedCache() => Assert.False(sqlite.Cache is IBufferDistributedCache);
}
