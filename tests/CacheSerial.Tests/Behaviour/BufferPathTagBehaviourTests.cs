using CacheSerial.TestSupport.Behaviour;
using Microsoft.Extensions.Caching.Distributed;

namespace CacheSerial.Tests.Behaviour;

/// <summary>The same suite over an <see cref="IBufferDistributedCache"/> store: the read and write path RedisCache takes.</summary>
public sealed class BufferPathTagBehaviourTests : TagBehaviourTests
{
    protected override IDistributedCache Store { get; } = InMemoryStores.CreateBuffered();
}
