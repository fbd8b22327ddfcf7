using CacheSerial.TestSupport.Behaviour;
using Microsoft.Extensions.Caching.Distributed;

namespace CacheSerial.Tests.Behaviour;

public sealed class InMemoryCompressionBehaviourTests : CompressionBehaviourTests
{
    protected override IDistributedCache Store { get; } = InMemoryStores.Create();
}
