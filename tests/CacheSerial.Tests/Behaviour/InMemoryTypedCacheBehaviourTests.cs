using CacheSerial.TestSupport.Behaviour;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace CacheSerial.Tests.Behaviour;

public sealed class InMemoryTypedCacheBehaviourTests : TypedCacheBehaviourTests
{
    protected override IDistributedCache Store { get; } =
        new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions()));
}
