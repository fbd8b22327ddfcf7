using CacheSerial.TestSupport.Codecs;
using System.Buffers;
using System.Text.Json;
using CacheSerial.TestSupport;
using CacheSerial.Tests.Behaviour;

namespace CacheSerial.Tests.Codecs;

/// <summary>
/// Issue 13: System.Text.Json bounds depth on write and on read with the same <see cref="JsonSerializerOptions.MaxDepth"/>
/// (64 when 0), so a cycle is an exception at the call site and whatever is written reads back.
/// </summary>
public sealed class SystemTextJsonCodecDepthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SetAsync_CyclicGraph_ThrowsCacheSerializationException()
    {
        using var h = new CacheHarness(InMemoryStores.Create());
        var node = new DepthNode();
        node.Next = node;

        await Assert.ThrowsAsync<CacheSerializationException>(async () => await h.Cache.SetAsync("cycle", node, cancellationToken: Ct));
    }

    [Theory]
    [InlineData(0, 64)]
    [InlineData(10, 10)]
    [InlineData(200, 200)]
    public void Serialize_DepthsAroundMaxDepth_WhateverIsWrittenReadsBack(int maxDepth, int limit)
    {
        var codec = new SystemTextJsonCodec(new JsonSerializerOptions(JsonSerializerDefaults.Web) { IncludeFields = true, MaxDepth = maxDepth });

        for (var depth = limit - 3; depth <= limit + 3; depth++)
        {
            var writer = new ArrayBufferWriter<byte>();
            if (depth > limit)
            {
                Assert.Throws<JsonException>(() => codec.Serialize(DepthNode.Chain(depth), writer));
                continue;
            }

            codec.Serialize(DepthNode.Chain(depth), writer);
            Assert.Equal(depth, DepthNode.Length(codec.Deserialize<DepthNode>(new ReadOnlySequence<byte>(writer.WrittenMemory))));
            Assert.Equal(depth, DepthNode.Length(codec.Deserialize<DepthNode>(Sequences.Segmented(writer.WrittenMemory, (writer.WrittenCount + 1) / 2))));
        }
    }
}
