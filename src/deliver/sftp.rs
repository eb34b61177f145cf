//! Delivery to the retailer's own SFTP server: the file is written under
//! a temporary name (`.NAME.part`) and renamed into place once complete,
//! so the retailer never picks up half a file. A document sent again
//! replaces the file of the same name.

use super::DeliveryError;
use crate::config::Config;
use crate::retailer::SftpPush;
use crate::store::outbox::OutboxRow;
use russh::keys::{PrivateKeyWithHashAlg, PublicKey};
use std::sync::Arc;
use std::time::Duration;

/// Checks the server's key against `host_key` when the profile names one.
struct HostKey(Option<PublicKey>);

impl russh::client::Handler for HostKey {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &russh::keys::PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        Ok(match (&self.0, key) {
            (None, _) => true,
            (Some(want), russh::keys::PublicKeyOrCertificate::PublicKey { key, .. }) => {
                want.key_data() == key.key_data()
            }
            (Some(_), russh::keys::PublicKeyOrCertificate::Certificate(_)) => false,
        })
    }
}

fn join(dir: &str, name: &str) -> String {
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() || dir == "." {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

pub fn deliver(cfg: &Config, to: &SftpPush, row: &OutboxRow) -> Result<(), DeliveryError> {
    let at = format!("SFTP {}@{}:{}", to.user, to.host, to.port);
    let key_path = cfg.resolve(&to.key);
    let key = russh::keys::load_secret_key(&key_path, None)
        .map_err(|e| DeliveryError::Permanent(format!("{at}: cannot read the key {}: {e}", key_path.display())))?;
    let host_key = match &to.host_key {
        Some(k) => Some(
            PublicKey::from_openssh(k.trim())
                .map_err(|e| DeliveryError::Permanent(format!("{at}: delivery.sftp.host_key is unreadable: {e}")))?,
        ),
        None => None,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| DeliveryError::Transient(format!("{at}: {e}")))?;
    rt.block_on(async {
        let client =
            Arc::new(russh::client::Config { inactivity_timeout: Some(Duration::from_secs(60)), ..Default::default() });
        let connect = russh::client::connect(client, (to.host.as_str(), to.port), HostKey(host_key));
        let mut h = match tokio::time::timeout(Duration::from_secs(20), connect).await {
            Ok(Ok(h)) => h,
            Ok(Err(russh::Error::UnknownKey)) => {
                return Err(DeliveryError::Permanent(format!(
                    "{at}: the server's host key is not delivery.sftp.host_key"
                )))
            }
            Ok(Err(e)) => return Err(DeliveryError::Transient(format!("{at}: cannot connect: {e}"))),
            Err(_) => return Err(DeliveryError::Transient(format!("{at}: no answer within 20 s"))),
        };
        let transient = |what: &str, e: &dyn std::fmt::Display| DeliveryError::Transient(format!("{at}: {what}: {e}"));
        let auth = h
            .authenticate_publickey(to.user.clone(), PrivateKeyWithHashAlg::new(Arc::new(key), None))
            .await
            .map_err(|e| transient("login", &e))?;
        if !auth.success() {
            return Err(DeliveryError::Permanent(format!(
                "{at}: login refused for user {} with the key {}",
                to.user,
                key_path.display()
            )));
        }
        let ch = h.channel_open_session().await.map_err(|e| transient("session", &e))?;
        ch.request_subsystem(true, "sftp").await.map_err(|e| transient("sftp subsystem", &e))?;
        let sftp = russh_sftp::client::SftpSession::new(ch.into_stream()).await.map_err(|e| transient("sftp", &e))?;
        let tmp = join(&to.remote_dir, &format!(".{}.part", row.file_name));
        let dest = join(&to.remote_dir, &row.file_name);
        {
            use tokio::io::AsyncWriteExt;
            let writing = |e: &dyn std::fmt::Display| transient(&format!("writing {tmp}"), e);
            let mut f = sftp.create(tmp.as_str()).await.map_err(|e| writing(&e))?;
            f.write_all(&row.payload).await.map_err(|e| writing(&e))?;
            f.shutdown().await.map_err(|e| writing(&e))?;
        }
        if sftp.rename(tmp.as_str(), dest.as_str()).await.is_err() {
            // Sent before under this name: replace it.
            if sftp.try_exists(dest.as_str()).await.unwrap_or(false) {
                sftp.remove_file(dest.as_str()).await.map_err(|e| transient(&format!("replacing {dest}"), &e))?;
            }
            sftp.rename(tmp.as_str(), dest.as_str())
                .await
                .map_err(|e| transient(&format!("renaming {tmp} to {dest}"), &e))?;
        }
        let _ = sftp.close().await;
        let _ = h.disconnect(russh::Disconnect::ByApplication, "", "en").await;
        Ok(())
    })
}
