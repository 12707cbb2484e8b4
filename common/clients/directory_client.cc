#include "common/clients/directory_client.h"

namespace bdtx::clients {

namespace v1 = ::bdtx::v1;

template <typename Req, typename Resp, typename Call>
absl::Status DirectoryClient::Invoke(Call call, const Req& req, Resp* resp) {
  auto token = token_->Get();
  if (!token.ok()) return token.status();
  return InvokeWithToken(stub_, call, *token, "directory", req, resp);
}

absl::StatusOr<v1::Class> DirectoryClient::GetClass(const std::string& name) {
  v1::GetClassRequest req;
  req.set_name(name);
  v1::Class out;
  if (auto s = Invoke(&v1::Directory::StubInterface::GetClass, req, &out); !s.ok()) return s;
  return out;
}

absl::StatusOr<v1::Unit> DirectoryClient::GetUnit(const std::string& name) {
  v1::GetUnitRequest req;
  req.set_name(name);
  v1::Unit out;
  if (auto s = Invoke(&v1::Directory::StubInterface::GetUnit, req, &out); !s.ok()) return s;
  return out;
}

absl::StatusOr<v1::Person> DirectoryClient::GetPerson(const std::string& name) {
  const absl::Time now = absl::Now();
  {
    absl::MutexLock lock(&mu_);
    if (auto it = people_.find(name);
        it != people_.end() && now - it->second.fetched < cache_ttl_) {
      return it->second.person;
    }
  }
  v1::GetPersonRequest req;
  req.set_name(name);
  v1::Person out;
  if (auto s = Invoke(&v1::Directory::StubInterface::GetPerson, req, &out); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  people_[name] = CachedPerson{out, now};
  return out;
}

absl::StatusOr<v1::SupportGroup> DirectoryClient::GetSupportGroup(const std::string& core_member,
                                                                  int year, int module) {
  v1::GetSupportGroupRequest req;
  req.set_core_member(core_member);
  req.set_year(year);
  req.set_module(module);
  v1::SupportGroup out;
  if (auto s = Invoke(&v1::Directory::StubInterface::GetSupportGroup, req, &out); !s.ok()) {
    return s;
  }
  return out;
}

absl::StatusOr<std::vector<v1::Person>> DirectoryClient::PeopleWithRole(const std::string& unit,
                                                                        v1::Role role) {
  v1::ListPeopleRequest req;
  req.set_unit(unit);
  req.set_role(role);
  req.set_page_size(100);
  v1::ListPeopleResponse out;
  if (auto s = Invoke(&v1::Directory::StubInterface::ListPeople, req, &out); !s.ok()) return s;
  return std::vector<v1::Person>(out.people().begin(), out.people().end());
}

absl::StatusOr<std::vector<std::string>> DirectoryClient::Ancestry(const std::string& unit) {
  std::vector<std::string> out;
  std::string current = unit;
  while (!current.empty() && out.size() < 16) {
    out.push_back(current);
    std::string parent;
    bool known = false;
    {
      absl::MutexLock lock(&mu_);
      if (auto it = parent_.find(current); it != parent_.end()) {
        parent = it->second;
        known = true;
      }
    }
    if (!known) {
      auto u = GetUnit(current);
      if (!u.ok()) return u.status();
      parent = u->parent();
      absl::MutexLock lock(&mu_);
      parent_[current] = parent;
    }
    current = parent;
  }
  return out;
}

}  // namespace bdtx::clients
