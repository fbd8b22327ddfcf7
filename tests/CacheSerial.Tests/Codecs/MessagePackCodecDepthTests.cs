using System.Buffers;
using CacheSerial.MessagePack;
using CacheSerial.TestSupport;
using CacheSerial.Tests.Behaviour;
using MessagePack;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.Tests.Codecs;

/// <summary>
/// Issue 13: a cyclic or over-deep graph must not recurse until the stack overflows (which kills the process) when
/// written; the codec refuses it at the read limit of <see cref="MessagePackSecurity.UntrustedData"/> (500), so
/// whatever it writes it can read back.
/// </summary>
public sealed class MessagePackCodecDepthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Serialize_CyclicGraph_ThrowsInsteadOfOverflowingTheStack()
    {
        var node = new DepthNode();
        node.Next = node;

        var ex = Assert.ThrowsAny<Exception>(() => Write(MessagePackCodec.Default, node));

        Assert.Contains("500", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetAsync_CyclicGraph_ThrowsCacheSerializationException()
    {
        using var h = new CacheHarness(InMemoryStores.Create(), build: b => b.UseMessagePack());
        var node = new DepthNode();
        node.Next = node;

        await Assert.ThrowsAsync<CacheSerializationException>(async () => await h.Cache.SetAsync("cycle", node, cancellationToken: Ct));

        Assert.False((await h.Cache.TryGetAsync<DepthNode>("cycle", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task GetOrCreateAsync_CyclicFactoryValue_ThrowsCacheSerializationException()
    {
        using var h = new CacheHarness(InMemoryStores.Create(), build: b => b.UseMessagePack(useLz4: true));

        await Assert.ThrowsAsync<CacheSerializationException>(async () => await h.Cache.GetOrCreateAsync("cycle", _ =>
        {
            var node = new DepthNode();
            node.Next = new DepthNode { Next = node };
            return ValueTask.FromResult(node);
        }, cancellationToken: Ct));
    }

    [Fact]
    public async Task SetAsync_CyclicGraphThroughList_ThrowsCacheSerializationException()
    {
        using var h = new CacheHarness(InMemoryStores.Create(), build: b => b.UseMessagePack());
        var node = new DepthTreeNode();
        node.Children.Add(node);

        await Assert.ThrowsAsync<CacheSerializationException>(async () => await h.Cache.SetAsync("tree", node, cancellationToken: Ct));
    }

    [Fact]
    public async Task SetAsync_ThousandDeepAcyclicGraph_ThrowsCacheSerializationException()
    {
        using var h = new CacheHarness(InMemoryStores.Create(), build: b => b.UseMessagePack());

        // Before the fix this was written and could never be read back (the read limit is 500): a permanent miss.
        await Assert.ThrowsAsync<CacheSerializationException>(async () => await h.Cache.SetAsync("deep", DepthNode.Chain(1_000), cancellationToken: Ct));
    }

    [Fact]
    public async Task SetAsync_FourHundredDeepGraph_RoundTrips()
    {
        using var h = new CacheHarness(InMemoryStores.Create(), build: b => b.UseMessagePack());

        await h.Cache.SetAsync("deep", DepthNode.Chain(400), cancellationToken: Ct);
        var copy = await h.Cache.TryGetAsync<DepthNode>("deep", cancellationToken: Ct);

        Assert.True(copy.HasValue);
        Assert.Equal(400, DepthNode.Length(copy.Value));
    }

    [Fact]
    public void Serialize_DepthsAroundTheLimit_WhateverIsWrittenReadsBack()
    {
        var codec = MessagePackCodec.Default;
        var written = 0;
        for (var depth = 490; depth <= 510; depth++)
        {
            ReadOnlySequence<byte> bytes;
            try
            {
                bytes = Write(codec, DepthNode.Chain(depth));
            }
            catch (MessagePackSerializationException)
            {
                continue;
            }

            written++;
            Assert.Equal(depth, DepthNode.Length(codec.Deserialize<DepthNode>(bytes)));
        }

        Assert.InRange(written, 1, 20); // some depths are written, and not all of them
        Assert.Throws<MessagePackSerializationException>(() => Write(codec, DepthNode.Chain(510)));
    }

    [Fact]
    public void Serialize_DeepListsOfLists_AreRefusedAtTheReadLimit()
    {
        var root = new List<object>();
        var current = root;
        for (var i = 0; i < 1_000; i++)
        {
            var next = new List<object>();
            current.Add(next);
            current = next;
        }

        Assert.Throws<MessagePackSerializationException>(() => Write(MessagePackCodec.Default, root));
    }


    private static ReadOnlySequence<byte> Write<T>(MessagePackCodec codec, T value)
    {
        var writer = new ArrayBufferWriter<byte>();
        codec.Serialize(value, writer);
        return new ReadOnlySequence<byte>(writer.WrittenMemory);
    }
}

public sealed class DepthNode
{
    public DepthNode? Next { get; set; }

    /// <summary>A chain of <paramref name="length"/> nodes.</summary>
    public static DepthNode Chain(int length)
    {
        var head = new DepthNode();
        for (var i = 1; i < length; i++)
        {
            head = new DepthNode { Next = head };
        }

        return head;
    }

    /// <summary>How many nodes a chain has.</summary>
    public static int Length(DepthNode? node)
    {
        var length = 0;
        for (; node is not null; node = node.Next)
        {
            length++;
        }

        return length;
    }
}

public sealed class DepthTreeNode
{
    public List<DepthTreeNode> Children { get; set; } = [];
}
