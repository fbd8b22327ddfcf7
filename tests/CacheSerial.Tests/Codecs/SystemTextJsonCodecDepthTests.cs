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
                Assert.Throws<JsonException>(() => codec.Serialize(Chain(depth), writer));
                continue;
            }

            codec.Serialize(Chain(depth), writer);
            Assert.Equal(depth, Length(codec.Deserialize<DepthNode>(new ReadOnlySequence<byte>(writer.WrittenMemory))));
            Assert.Equal(depth, Length(codec.Deserialize<DepthNode>(TwoSegments(writer.WrittenMemory))));
        }
    }

    private static DepthNode Chain(int length)
    {
        var head = new DepthNode();
        for (var i = 1; i < length; i++)
        {
            head = new DepthNode { Next = head };
        }

        return head;
    }

    private static int Length(DepthNode? node)
    {
        var length = 0;
        for (; node is not null; node = node.Next)
        {
            length++;
        }

        return length;
    }

    // The codec reads a multi-segment payload through its own reader options: they must carry the same MaxDepth.
    private static ReadOnlySequence<byte> TwoSegments(ReadOnlyMemory<byte> bytes)
    {
        var first = new Segment(bytes[..(bytes.Length / 2)], 0);
        var second = first.Append(bytes[(bytes.Length / 2)..]);
        return new ReadOnlySequence<byte>(first, 0, second, second.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
