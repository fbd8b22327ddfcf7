using CacheSerial.TestSupport.Fakes;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace CacheSerial.Tests.Behaviour;

/// <summary>The unit tests' stores: Microsoft's in-memory distributed cache, plain or behind the buffer API.</summary>
internal static class InMemoryStores
{
    public static IDistributedCache Create() =>
        new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions()));

    public static IDistributedCache CreateBuffered() => new BufferDistributedCacheAdapter(Create());
}
