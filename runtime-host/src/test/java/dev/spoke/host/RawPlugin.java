package dev.spoke.host;

import dev.spoke.CallOptions;
import dev.spoke.SpokeVersion;
import dev.spoke.internal.Connection;
import dev.spoke.internal.PluginControl;
import dev.spoke.internal.WorkerPool;
import dev.spoke.peer.PeerArguments;
import dev.spoke.proto.control.ReadyRequest;
import dev.spoke.shm.HubConfig;
import dev.spoke.shm.HubPeer;
import dev.spoke.stub.ClientCalls;
import java.util.concurrent.TimeUnit;

/** What the misbehaving test plugins share: attach without SpokePeer, say READY, leave with the host. */
final class RawPlugin {
  final PeerArguments arguments;
  final HubPeer hub;
  final Connection connection;

  private RawPlugin(String[] args) throws Exception {
    arguments = PeerArguments.parse(args);
    hub = HubPeer.attach(arguments.hubPath(), arguments.peerId(), arguments.token(), arguments.pluginName(),
        HubConfig.defaults());
    hub.onHostGone(s -> System.exit(3));
    connection = Connection.builder(hub.transport()).executor(WorkerPool.builder("raw").build())
        .localName(arguments.pluginName()).build().start();
  }

  static RawPlugin attach(String[] args) throws Exception {
    return new RawPlugin(args);
  }

  void ready() {
    ClientCalls.blockingUnaryCall(connection.channel(), PluginControl.READY,
        CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS),
        ReadyRequest.newBuilder().setPluginName(arguments.pluginName()).setPid(ProcessHandle.current().pid())
            .setSpokeVersion(SpokeVersion.get()).build());
  }
}
