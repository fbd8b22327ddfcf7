using CacheSerial.TestSupport.Behaviour;
using Microsoft.Extensions.Caching.Distributed;

namespace CacheSerial.Tests.Behaviour;

/// <summary>The same suite with a memory tier in front of the in-memory store.</summary>
public sealed class TwoLevelCompressionBehaviourTests : CompressionBehaviourTests
{
    protected override IDistributedCache Store { get; } = InMemoryStores.Create();

    protected override bool MemoryTier => true;
}
